import { Badge, Button, Card, Code, Group, SimpleGrid, Stack, Switch, Table, Text, Title, Tooltip } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconPlugConnected, IconSettings } from '@tabler/icons-react';
import { Can, WithTenant } from '@/components/Guards';
import { PageHeader } from '@/components/PageHeader';
import { QueryState } from '@/components/QueryState';
import { EmptyState } from '@/components/StatusPanels';
import { useAuth } from '@/lib/auth';
import { errorMessage } from '@/lib/errors';
import { formatDateTime, formatNumber } from '@/lib/format';
import { useBreakers } from '../api/list-breakers';
import { useBureauConfigs, type BureauConfig } from '../api/list-bureau-configs';
import { usePutBureauConfig } from '../api/put-bureau-config';
import { useBureauTest } from '../api/test-bureau';
import { BUREAU_META, secretFields, secretLabel } from './bureau-meta';
import { ConnectionResult } from './ConnectionResult';
import { EditBureauModal } from './EditBureauModal';

const BREAKER_COLOR: Record<string, string> = { closed: 'teal', open: 'red', half_open: 'yellow', 'half-open': 'yellow' };

function StatusBadge({ config }: { config: BureauConfig }) {
  if (!config.configured) {
    return (
      <Badge color="gray" variant="outline" data-testid={`status-${config.bureau}`}>
        Not configured
      </Badge>
    );
  }
  return config.enabled ? (
    <Badge color="teal" variant="filled" data-testid={`status-${config.bureau}`}>
      On · used in decisions
    </Badge>
  ) : (
    <Badge color="orange" variant="light" data-testid={`status-${config.bureau}`}>
      Off · not used in decisions
    </Badge>
  );
}

function BureauCard({ tenant, config, breaker }: { tenant: string; config: BureauConfig; breaker?: string }) {
  const meta = BUREAU_META[config.bureau];
  const name = meta?.name ?? config.bureau;
  const [opened, { open, close }] = useDisclosure(false);
  const test = useBureauTest(tenant, config);
  const save = usePutBureauConfig(tenant);
  const { can } = useAuth();
  const configured = config.configured && !!config.endpoint_url;

  const toggle = (enabled: boolean) =>
    save.mutate(
      { bureau: config.bureau, body: { enabled } },
      {
        onSuccess: () =>
          notifications.show({
            color: enabled ? 'teal' : 'gray',
            message: enabled ? `${name} is on: decisions pull its reports` : `${name} is off: decisions no longer pull its reports`,
          }),
        onError: (err) => notifications.show({ color: 'red', title: 'Could not change', message: errorMessage(err) }),
      },
    );

  return (
    <Card withBorder radius="md" padding="lg" data-testid={`bureau-${config.bureau}`}>
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <div style={{ minWidth: 0 }}>
          <Title order={2} size="h4">
            {name}
          </Title>
          <Text size="xs" c="dimmed">
            {meta?.blurb}
          </Text>
        </div>
        <Switch
          checked={config.enabled}
          onChange={(e) => toggle(e.currentTarget.checked)}
          disabled={!can('bureaus:manage') || !configured || save.isPending}
          aria-label={`${name} enabled`}
          size="md"
        />
      </Group>
      <Group mt="xs">
        <StatusBadge config={config} />
      </Group>
      <Table mt="md" variant="vertical" layout="fixed" withRowBorders={false} verticalSpacing={4} fz="sm">
        <Table.Tbody>
          <Table.Tr>
            <Table.Th w={120}>Endpoint</Table.Th>
            <Table.Td>
              <Text size="sm" truncate title={config.endpoint_url ?? undefined}>
                {config.endpoint_url || '— not configured —'}
              </Text>
            </Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Member id</Table.Th>
            <Table.Td>{config.member_id || '—'}</Table.Td>
          </Table.Tr>
          {secretFields(config.bureau, config.credentials).map((f) => (
            <Table.Tr key={f}>
              <Table.Th>{secretLabel(f)}</Table.Th>
              <Table.Td>
                {config.credentials?.[f] ? (
                  <Code data-testid={`secret-${config.bureau}-${f}`}>{config.credentials[f]}</Code>
                ) : (
                  <Text size="sm" c="dimmed">
                    not set
                  </Text>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
          <Table.Tr>
            <Table.Th>Timeout</Table.Th>
            <Table.Td>{formatNumber(config.timeout_ms)} ms</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Breaker</Table.Th>
            <Table.Td>
              {breaker ? (
                <Badge color={BREAKER_COLOR[breaker] ?? 'gray'} variant="light">
                  {breaker.replace('_', '-')}
                </Badge>
              ) : (
                <Tooltip label="Circuit-breaker state is listed for platform operators">
                  <Text size="sm" c="dimmed" span>
                    —
                  </Text>
                </Tooltip>
              )}
            </Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Updated</Table.Th>
            <Table.Td>
              <Text size="sm">
                {formatDateTime(config.updated_at)}
                {config.updated_by ? ` by ${config.updated_by}` : ''}
              </Text>
            </Table.Td>
          </Table.Tr>
        </Table.Tbody>
      </Table>
      {test.outcome && (
        <ConnectionResult
          bureau={config.bureau}
          name={name}
          outcome={test.outcome}
          enabled={config.enabled}
          onEnable={can('bureaus:manage') ? () => toggle(true) : undefined}
          enabling={save.isPending}
        />
      )}
      <Group mt="md" gap="xs">
        <Can need="bureaus:manage">
          <Button variant="light" leftSection={<IconSettings size={16} />} onClick={open} aria-label={`Configure ${name}`}>
            {configured ? 'Edit / replace secret' : 'Configure'}
          </Button>
          <Button
            variant="default"
            leftSection={<IconPlugConnected size={16} />}
            onClick={test.run}
            loading={test.isPending}
            disabled={!configured}
            aria-label={`Test connection to ${name}`}
          >
            Test connection
          </Button>
        </Can>
      </Group>
      {opened && <EditBureauModal tenant={tenant} config={config} opened={opened} onClose={close} />}
    </Card>
  );
}

function TenantBureaus({ tenant }: { tenant: string }) {
  const configs = useBureauConfigs(tenant);
  const { can } = useAuth();
  const breakers = useBreakers(can('ops:read'));
  const stateOf = (bureau: string) => breakers.data?.items.find((b) => b.tenant === tenant && b.bureau === bureau)?.state;
  return (
    <>
      <PageHeader
        title="Bureau integrations"
        description={`Credit-bureau connections for ${tenant}. Secrets are stored encrypted and only their last characters are ever shown.`}
      />
      <QueryState
        query={configs}
        feature="Bureau integrations"
        isEmpty={(d) => d.items.length === 0}
        empty={<EmptyState title="No bureaus" />}
      >
        {(data) => (
          <Stack>
            <SimpleGrid cols={{ base: 1, md: 2, xl: 3 }} spacing="md">
              {data.items.map((c) => (
                <BureauCard key={c.bureau} tenant={tenant} config={c} breaker={stateOf(c.bureau)} />
              ))}
            </SimpleGrid>
          </Stack>
        )}
      </QueryState>
    </>
  );
}

export default function BureausPage() {
  return <WithTenant>{(tenant) => <TenantBureaus tenant={tenant} />}</WithTenant>;
}
