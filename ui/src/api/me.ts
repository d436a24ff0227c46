import { createContext, useContext } from 'react';

/** The roles of lib/api-keys (which the browser cannot import: it hashes keys with node:crypto). */
export type Role = 'admin' | 'developer' | 'supervisor' | 'agent' | 'operator';

export interface Me {
  keyId: string;
  tenantId: string;
  role: Role;
  agentId: string | null;
  temporalUiUrl: string;
}

export const MeContext = createContext<Me | null>(null);

/** The signed-in key; pages below the sign-in screen always have one. */
export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe outside a signed-in page');
  return me;
}

export const canEdit = (me: Me): boolean => me.role === 'admin' || me.role === 'developer';
export const canSupervise = (me: Me): boolean => me.role === 'admin' || me.role === 'supervisor';
