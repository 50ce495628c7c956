import { MantineProvider } from '@mantine/core';
import { QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactElement, ReactNode } from 'react';
import { createMemoryRouter, RouterProvider, type RouteObject } from 'react-router';
import { theme } from '@/lib/theme';
import { AuthProvider, useAuth } from '@/lib/auth';
import { createQueryClient } from '@/lib/query-client';
import { TenantProvider } from '@/lib/tenant';

function Providers({ children }: { children: ReactNode }) {
  const client = createQueryClient();
  client.setDefaultOptions({ queries: { retry: false, staleTime: 0 }, mutations: { retry: false } });
  return (
    <MantineProvider theme={theme}>
      <QueryClientProvider client={client}>
        <AuthProvider>
          <TenantProvider>{children}</TenantProvider>
        </AuthProvider>
      </QueryClientProvider>
    </MantineProvider>
  );
}

/** Render routes inside every app provider, starting at `path`. */
export function renderRoutes(routes: RouteObject[], path = '/') {
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  return { router, ...render(<RouterProvider router={router} />, { wrapper: Providers }) };
}

/** Renders children once the (mocked) session is restored, as the app's RequireSession does. */
export function SignedIn({ children }: { children: ReactNode }) {
  const { status } = useAuth();
  return status === 'authenticated' ? <>{children}</> : <p>restoring session</p>;
}

/** Render one element for a signed-in user, inside every app provider (and a router). */
export function renderWithApp(ui: ReactElement, path = '/') {
  return renderRoutes([{ path: '*', element: <SignedIn>{ui}</SignedIn> }], path);
}
