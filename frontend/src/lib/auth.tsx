import { useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, type Schemas } from '@/client';
import { allows, type Permission } from './authorization';
import { unwrap } from './errors';
import { onSessionChange, refreshSession, setSession } from './session';

export type Me = Schemas['MeOut'];

type Status = 'restoring' | 'anonymous' | 'authenticated';

interface AuthState {
  status: Status;
  me: Me | null;
  /** Why the user was signed out, when it was not their own choice. */
  notice: string | null;
  login: (email: string, password: string) => Promise<void>;
  logout: () => Promise<void>;
  can: (need: Permission | readonly Permission[]) => boolean;
}

const AuthContext = createContext<AuthState | null>(null);

async function fetchMe(): Promise<Me> {
  return unwrap(await api.GET('/api/v1/auth/me'));
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<Status>('restoring');
  const [me, setMe] = useState<Me | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  // Restore a session from the httpOnly refresh cookie (a reload keeps you signed in).
  useEffect(() => {
    let cancelled = false;
    void (async () => {
      const token = await refreshSession();
      if (cancelled) return;
      if (!token) {
        setStatus('anonymous');
        return;
      }
      try {
        const who = await fetchMe();
        if (!cancelled) {
          setMe(who);
          setStatus('authenticated');
        }
      } catch {
        if (!cancelled) setStatus('anonymous');
      }
    })();
    return () => {
      cancelled = true;
    };
  }, []);

  // A refresh that fails (expired, revoked, reused token) ends the session.
  useEffect(
    () =>
      onSessionChange((token) => {
        if (token === null) {
          setMe((current) => {
            if (current) setNotice('Your session has ended. Please sign in again.');
            return null;
          });
          setStatus('anonymous');
          queryClient.clear();
        }
      }),
    [queryClient],
  );

  const login = useCallback(async (email: string, password: string) => {
    const pair = unwrap(await api.POST('/api/v1/auth/token', { body: { email, password } }));
    setSession(pair.access_token, pair.expires_in);
    const who = await fetchMe();
    setNotice(null);
    setMe(who);
    setStatus('authenticated');
  }, []);

  const logout = useCallback(async () => {
    try {
      await api.POST('/api/v1/auth/logout', {});
    } finally {
      setMe(null);
      setNotice(null);
      setSession(null);
      setStatus('anonymous');
      queryClient.clear();
    }
  }, [queryClient]);

  const can = useCallback((need: Permission | readonly Permission[]) => allows(me?.permissions, need), [me]);

  const value = useMemo(() => ({ status, me, notice, login, logout, can }), [status, me, notice, login, logout, can]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth outside AuthProvider');
  return ctx;
}

/** The signed-in user; only for components rendered inside the authenticated shell. */
export function useMe(): Me {
  const { me } = useAuth();
  if (!me) throw new Error('useMe without a signed-in user');
  return me;
}
