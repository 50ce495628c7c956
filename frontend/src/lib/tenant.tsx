import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { useAuth } from './auth';

const STORAGE_KEY = 'creditdesk.tenant';

interface TenantState {
  /** The tenant every tenant-scoped page works on: the user's own, or the one a platform user chose. */
  tenant: string | null;
  /** Platform-scoped users (tenant null in /auth/me) may switch tenants. */
  canSwitch: boolean;
  setTenant: (slug: string | null) => void;
}

const TenantContext = createContext<TenantState | null>(null);

export function TenantProvider({ children }: { children: ReactNode }) {
  const { me } = useAuth();
  const [chosen, setChosen] = useState<string | null>(() => readStored());
  const canSwitch = !!me && me.tenant === null;
  const tenant = me?.tenant ?? (canSwitch ? chosen : null);

  const setTenant = useCallback((slug: string | null) => {
    setChosen(slug);
    try {
      if (slug) localStorage.setItem(STORAGE_KEY, slug);
      else localStorage.removeItem(STORAGE_KEY);
    } catch {
      /* private mode: keep it in memory */
    }
  }, []);

  const value = useMemo(() => ({ tenant, canSwitch, setTenant }), [tenant, canSwitch, setTenant]);
  return <TenantContext.Provider value={value}>{children}</TenantContext.Provider>;
}

function readStored(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function useTenant(): TenantState {
  const ctx = useContext(TenantContext);
  if (!ctx) throw new Error('useTenant outside TenantProvider');
  return ctx;
}
