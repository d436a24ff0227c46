import { canEdit } from '../api/me';
import type { PageSpec } from '../pages';

// Filled in by the flow designer: flows list and editor, and number assignment.
export const designerPages: PageSpec[] = [
  { section: 'flows', title: 'Flows', visible: canEdit, render: () => <h1>Flows</h1> },
  { section: 'numbers', title: 'Numbers', visible: canEdit, render: () => <h1>Numbers</h1> },
];
