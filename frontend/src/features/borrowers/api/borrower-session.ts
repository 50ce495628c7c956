// The borrower's session — a realm of its own, apart from staff sign-in: the borrower's tokens live in
// this tab's sessionStorage (gone when the tab closes, never shared with a staff session), and every
// borrower call carries the borrower's bearer token, refreshed once on a 401.
import createClient from 'openapi-fetch';
import type { paths } from '@/client';

const KEY = 'creditdesk.borrower';
const REFRESH = '/api/v1/borrower-auth/refresh';

export interface BorrowerSession {
  tenant: string;
  phone: string;
  accessToken: string;
  refreshToken: string;
}

export function readSession(): BorrowerSession | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as BorrowerSession) : null;
  } catch {
    return null;
  }
}

export function saveSession(session: BorrowerSession | null): void {
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
}

let inflight: Promise<string | null> | null = null;

/** A new token pair for the refresh token held; null (and the session forgotten) when it no longer works. */
export function refreshBorrower(): Promise<string | null> {
  inflight ??= (async () => {
    const session = readSession();
    if (!session) return null;
    try {
      const res = await fetch(REFRESH, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ refresh_token: session.refreshToken }),
      });
      if (!res.ok) {
        saveSession(null);
        return null;
      }
      const body = (await res.json()) as { access_token: string; refresh_token: string };
      saveSession({ ...session, accessToken: body.access_token, refreshToken: body.refresh_token });
      return body.access_token;
    } catch {
      return null;
    } finally {
      inflight = null;
    }
  })();
  return inflight;
}

const isAuthCall = (request: Request) => new URL(request.url, location.origin).pathname.startsWith('/api/v1/borrower-auth/');

function withToken(request: Request, token: string | undefined): Request {
  if (!token) return request;
  const headers = new Headers(request.headers);
  headers.set('Authorization', `Bearer ${token}`);
  return new Request(request, { headers });
}

/** fetch for the borrower's client: the borrower's bearer token (never a staff one), one refresh on 401. */
export async function borrowerFetch(input: Request): Promise<Response> {
  if (isAuthCall(input)) return fetch(input);
  const retry = input.clone();
  const response = await fetch(withToken(input, readSession()?.accessToken));
  if (response.status !== 401) return response;
  const token = await refreshBorrower();
  return token ? fetch(withToken(retry, token)) : response;
}

/** The typed API client of the borrower realm (the same generated types as the staff one). */
export const borrowerApi = createClient<paths>({ baseUrl: globalThis.location?.origin ?? '', fetch: borrowerFetch });
