import { MantineProvider } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { Notifications } from '@mantine/notifications';
import { QueryClientProvider } from '@tanstack/react-query';
import { useState } from 'react';
import { RouterProvider } from 'react-router';
import { AuthProvider } from '@/lib/auth';
import { createQueryClient } from '@/lib/query-client';
import { TenantProvider } from '@/lib/tenant';
import { router } from './router';
import { theme } from '@/lib/theme';

/** Toasts sit bottom-right, where they never cover a dialog's close button (top right); on a phone one at a time. */
function AppNotifications() {
  const phone = useMediaQuery('(max-width: 48em)');
  return <Notifications position="bottom-right" limit={phone ? 1 : 3} />;
}

export function App() {
  const [queryClient] = useState(createQueryClient);
  return (
    <MantineProvider theme={theme} defaultColorScheme="light">
      <AppNotifications />
      <QueryClientProvider client={queryClient}>
        <AuthProvider>
          <TenantProvider>
            <RouterProvider router={router} />
          </TenantProvider>
        </AuthProvider>
      </QueryClientProvider>
    </MantineProvider>
  );
}
