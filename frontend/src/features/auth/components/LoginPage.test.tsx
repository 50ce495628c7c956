import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockApi, ME } from '@/testing/api-mock';
import { renderRoutes } from '@/testing/render';
import { LoginPage } from './LoginPage';

const routes = [
  { path: '/login', element: <LoginPage /> },
  { path: '/', element: <p>home page</p> },
];

describe('LoginPage', () => {
  it('validates before sending anything', async () => {
    const { calls } = mockApi({ 'POST /api/v1/auth/refresh': { status: 401, body: { detail: 'No refresh token' } } });
    renderRoutes(routes, '/login');
    await userEvent.click(await screen.findByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('Enter your e-mail address')).toBeInTheDocument();
    expect(screen.getByText('Enter your password')).toBeInTheDocument();
    expect(calls.some((c) => c.path === '/api/v1/auth/token')).toBe(false);
  });

  it('shows the API detail for a wrong password and clears the password', async () => {
    mockApi({
      'POST /api/v1/auth/refresh': { status: 401, body: { detail: 'No refresh token' } },
      'POST /api/v1/auth/token': { status: 401, body: { error: 'InvalidCredentials', detail: 'Incorrect email or password' } },
    });
    renderRoutes(routes, '/login');
    await userEvent.type(await screen.findByLabelText(/E-mail/), 'asha@lender.in');
    await userEvent.type(screen.getByLabelText(/Password/), 'nope-nope-nope');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Incorrect email or password');
    expect(screen.getByLabelText(/Password/)).toHaveValue('');
  });

  it('titles a lockout as such', async () => {
    mockApi({
      'POST /api/v1/auth/refresh': { status: 401, body: {} },
      'POST /api/v1/auth/token': {
        status: 401,
        body: { error: 'AccountLocked', detail: 'Account locked after 5 failed sign-ins; try again in 15 minutes' },
      },
    });
    renderRoutes(routes, '/login');
    await userEvent.type(await screen.findByLabelText(/E-mail/), 'asha@lender.in');
    await userEvent.type(screen.getByLabelText(/Password/), 'whatever-123');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    const alert = await screen.findByTestId('login-error');
    expect(alert).toHaveTextContent('Account locked');
    expect(alert).toHaveTextContent('try again in 15 minutes');
  });

  it('signs in as a browser client and goes on to the page asked for', async () => {
    const { calls } = mockApi({
      'POST /api/v1/auth/refresh': { status: 401, body: {} },
      'POST /api/v1/auth/token': { body: { access_token: 'tok', refresh_token: null, token_type: 'bearer', expires_in: 900 } },
      'GET /api/v1/auth/me': { body: ME.officer },
    });
    const { router } = renderRoutes(routes, '/login?next=%2F');
    await userEvent.type(await screen.findByLabelText(/E-mail/), 'officer@demo-nbfc.example');
    await userEvent.type(screen.getByLabelText(/Password/), 'creditdesk-demo-2026');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/'));
    const login = calls.find((c) => c.path === '/api/v1/auth/token')!;
    expect(login.headers.get('X-CreditDesk-Client')).toBe('web');
    expect(JSON.parse(login.body)).toEqual({ email: 'officer@demo-nbfc.example', password: 'creditdesk-demo-2026' });
  });
});
