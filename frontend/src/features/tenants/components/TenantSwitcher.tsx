import { Select } from '@mantine/core';
import { IconBuildingBank } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useTenant } from '@/lib/tenant';
import { useTenants } from '../api/list-tenants';

/** Platform-scoped users pick the tenant they work on; tenant users see nothing here. */
export function TenantSwitcher() {
  const { tenant, canSwitch, setTenant } = useTenant();
  const tenants = useTenants(canSwitch);
  const qc = useQueryClient();
  const items = tenants.data?.items ?? [];

  // Default to the first tenant; forget a choice that no longer exists.
  useEffect(() => {
    if (!canSwitch || !tenants.data) return;
    const slugs = tenants.data.items.map((t) => t.slug);
    if (!tenant || !slugs.includes(tenant)) setTenant(slugs[0] ?? null);
  }, [canSwitch, tenants.data, tenant, setTenant]);

  if (!canSwitch) return null;
  return (
    <Select
      aria-label="Tenant"
      placeholder={tenants.isPending ? 'Loading tenants…' : tenants.isError ? 'Tenants unavailable' : 'Choose a tenant'}
      data={items.map((t) => ({ value: t.slug, label: t.status === 'active' ? t.name : `${t.name} (suspended)` }))}
      value={tenant}
      onChange={(slug) => {
        setTenant(slug);
        // Everything cached belongs to the previous tenant.
        void qc.invalidateQueries({ predicate: (q) => q.queryKey[0] !== 'tenants' });
      }}
      leftSection={<IconBuildingBank size={16} />}
      searchable
      allowDeselect={false}
      nothingFoundMessage="No tenant matches"
      w={{ base: 170, sm: 240 }}
      comboboxProps={{ withinPortal: true }}
      data-testid="tenant-switcher"
    />
  );
}
