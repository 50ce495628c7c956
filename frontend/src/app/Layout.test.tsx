import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { RequirePermission } from '@/components/Guards';
import { mockApi, ME } from '@/testing/api-mock';
import { renderRoutes, SignedIn } from '@/testing/render';
import { Layout } from './Layout';

function signedInAs(me: object) {
  return {
    'POST /api/v1/auth/refresh': { body: { access_token: 'tok', expires_in: 900 } },
    'GET /api/v1/auth/me': { body: me },
    'GET /api/v1/tenants': {
      body: {
        items: [
          {
            id: 't1',
            slug: 'demo-nbfc',
            name: 'Demo NBFC Ltd',
            status: 'active',
            timezone: 'Asia/Kolkata',
            created_at: '2026-01-01T00:00:00Z',
          },
        ],
      },
    },
  };
}

const routes = [
  {
    element: (
      <SignedIn>
        <Layout />
      </SignedIn>
    ),
    children: [
      { path: '/', element: <p>home</p> },
      {
        path: '/bureaus',
        element: (
          <RequirePermission need="bureaus:read" what="Bureau configuration">
            <p>bureau page</p>
          </RequirePermission>
        ),
      },
    ],
  },
];

describe('the app shell', () => {
  it('shows a field officer decisioning links only', async () => {
    mockApi(signedInAs(ME.officer));
    renderRoutes(routes, '/');
    const nav = await screen.findByRole('navigation', { name: 'Main navigation' });
    expect(await within(nav).findByRole('link', { name: 'Score an application' })).toBeInTheDocument();
    for (const name of ['Bureau integrations', 'Models', 'Policy', 'Tenants', 'Users', 'Audit log', 'Monitoring', 'Portfolio']) {
      expect(within(nav).queryByRole('link', { name })).toBeNull();
    }
    // A tenant user has no tenant switcher.
    expect(screen.queryByTestId('tenant-switcher')).toBeNull();
  });

  it('tells a field officer clearly that a configuration URL is not for them', async () => {
    mockApi(signedInAs(ME.officer));
    renderRoutes(routes, '/bureaus');
    expect(await screen.findByTestId('forbidden')).toHaveTextContent('You do not have access to this page');
    expect(screen.getByTestId('forbidden')).toHaveTextContent('Bureau configuration is not part of your role');
    expect(screen.queryByText('bureau page')).toBeNull();
  });

  it('gives a platform admin every section and a tenant switcher defaulting to the first tenant', async () => {
    mockApi(signedInAs(ME.platformAdmin));
    renderRoutes(routes, '/bureaus');
    expect(await screen.findByText('bureau page')).toBeInTheDocument();
    const nav = screen.getByRole('navigation', { name: 'Main navigation' });
    expect(within(nav).getByRole('link', { name: 'Tenants' })).toBeInTheDocument();
    expect(await screen.findByDisplayValue('Demo NBFC Ltd')).toBeInTheDocument();
  });
});
