import { useMutation } from '@tanstack/react-query';
import type { ApiBody } from '@/client/types';
import { unwrap } from '@/lib/errors';
import { borrowerApi, readSession, saveSession } from './borrower-session';

export type CodeRequest = ApiBody<'/api/v1/borrower-auth/otp', 'post'>;
export type CodeCheck = ApiBody<'/api/v1/borrower-auth/verify', 'post'>;

/** Ask for a sign-in code: 202 with the same words whether or not the number is the lender's customer's. */
export async function requestCode(body: CodeRequest) {
  return unwrap(await borrowerApi.POST('/api/v1/borrower-auth/otp', { body }));
}

/** Check the code; on success the borrower's session is kept in this tab. */
export async function verifyCode(body: CodeCheck) {
  const tokens = unwrap(await borrowerApi.POST('/api/v1/borrower-auth/verify', { body }));
  saveSession({ tenant: body.tenant, phone: body.phone, accessToken: tokens.access_token, refreshToken: tokens.refresh_token ?? '' });
  return tokens;
}

/** End the session here and on the server (a dead refresh token is already signed out). */
export async function signOut() {
  const session = readSession();
  saveSession(null);
  if (session)
    await borrowerApi.POST('/api/v1/borrower-auth/logout', { body: { refresh_token: session.refreshToken } }).catch(() => undefined);
}

export const useRequestCode = () => useMutation({ mutationFn: requestCode });
export const useVerifyCode = () => useMutation({ mutationFn: verifyCode });
