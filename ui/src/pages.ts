import type { ReactNode } from 'react';
import type { Me } from './api/me';

/** A page of the UI: where it lives in the hash, who may see it in the navigation, and how to draw it. */
export interface PageSpec {
  /** First segment of the hash route, e.g. `flows` for `#/flows/<id>`. */
  section: string;
  title: string;
  /** Shown in the navigation when true for the signed-in key (the API still enforces the role). */
  visible: (me: Me) => boolean;
  /** `params` are the hash route's segments after the section. */
  render: (params: string[]) => ReactNode;
}
