import { Alert } from '@mantine/core';
import { IconBuildingBank } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { useAuth } from '@/lib/auth';
import type { Permission } from '@/lib/authorization';
import { useTenant } from '@/lib/tenant';
import { Forbidden } from './StatusPanels';

/** Renders children only for a user holding one of the permissions; a clear message otherwise. */
export function RequirePermission({
  need,
  what,
  children,
}: {
  need: Permission | readonly Permission[];
  what: string;
  children: ReactNode;
}) {
  const { can } = useAuth();
  return can(need) ? <>{children}</> : <Forbidden what={what} />;
}

/** Renders children with the current tenant, or asks a platform user to pick one. */
export function WithTenant({ children }: { children: (tenant: string) => ReactNode }) {
  const { tenant } = useTenant();
  if (!tenant) {
    return (
      <Alert color="blue" variant="light" icon={<IconBuildingBank size={18} />} title="Choose a tenant">
        This page works on one lender&apos;s data. Pick a tenant with the switcher at the top of the page.
      </Alert>
    );
  }
  return <>{children(tenant)}</>;
}

/** Shows children only when the user may do the action (buttons that would 403 stay hidden). */
export function Can({
  need,
  children,
  otherwise = null,
}: {
  need: Permission | readonly Permission[];
  children: ReactNode;
  otherwise?: ReactNode;
}) {
  const { can } = useAuth();
  return <>{can(need) ? children : otherwise}</>;
}
