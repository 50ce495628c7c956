import { ApiError } from './errors';

// The browser session: the access token lives in memory only; the refresh token is an httpOnly
// cookie (sent by the server because we say X-CreditDesk-Client: web), never readable here.

const WEB_CLIENT = { 'X-CreditDesk-Client': 'web' };
const AUTH_PATHS = ['/api/v1/auth/token', '/api/v1/auth/refresh', '/api/v1/auth/logout'];

type Listener = (token: string | null) => void;

let accessToken: string | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let inflight: Promise<string | null> | null = null;
const listeners = new Set<Listener>();

export function getAccessToken(): string | null {
  return accessToken;
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Store a fresh access token and schedule a silent refresh a minute before it expires. */
export function setSession(token: string | null, expiresInSeconds?: number): void {
  accessToken = token;
  clearTimeout(refreshTimer);
  if (token && expiresInSeconds && expiresInSeconds > 90) {
    refreshTimer = setTimeout(() => void refreshSession(), (expiresInSeconds - 60) * 1000);
  }
  listeners.forEach((l) => l(token));
}

interface TokenBody {
  access_token: string;
  expires_in: number;
}

/** Exchange the refresh cookie for a new access token; one request at a time. */
export function refreshSession(): Promise<string | null> {
  inflight ??= (async () => {
    try {
      const res = await fetch('/api/v1/auth/refresh', {
        method: 'POST',
        headers: { ...WEB_CLIENT, 'Content-Type': 'application/json' },
        credentials: 'same-origin',
        body: '{}',
      });
      if (!res.ok) {
        setSession(null);
        return null;
      }
      const body = (await res.json()) as TokenBody;
      setSession(body.access_token, body.expires_in);
      return body.access_token;
    } catch {
      return accessToken;
    } finally {
      inflight = null;
    }
  })();
  return inflight;
}

/** fetch for the API client: adds the bearer token, refreshes once on 401 and retries. */
export async function authFetch(input: Request): Promise<Response> {
  const isAuthCall = AUTH_PATHS.some((p) => new URL(input.url, location.origin).pathname === p);
  const retry = isAuthCall ? null : input.clone();
  const request = withToken(input, accessToken, isAuthCall);
  const response = await fetch(request);
  if (response.status !== 401 || !retry) return response;
  const token = await refreshSession();
  if (!token) return response;
  return fetch(withToken(retry, token, false));
}

function withToken(request: Request, token: string | null, isAuthCall: boolean): Request {
  const headers = new Headers(request.headers);
  if (token && !headers.has('Authorization') && !isAuthCall) headers.set('Authorization', `Bearer ${token}`);
  if (isAuthCall) Object.entries(WEB_CLIENT).forEach(([k, v]) => headers.set(k, v));
  return new Request(request, { headers, credentials: 'same-origin' });
}

/** Raw authenticated fetch for non-JSON downloads (CSV results). */
export async function authorizedBlob(url: string): Promise<Blob> {
  const response = await authFetch(new Request(new URL(url, location.origin)));
  if (!response.ok) {
    throw new ApiError(response.status, await response.json().catch(() => ({})));
  }
  return response.blob();
}
