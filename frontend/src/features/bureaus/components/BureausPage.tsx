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
import { useTestBureau } from '../api/test-bureau';
import { BUREAU_META, secretFields, secretLabel } from './bureau-meta';
import { EditBureauModal } from './EditBureauModal';

const BREAKER_COLOR: Record<string, string> = { closed: 'teal', open: 'red', half_open: 'yellow', 'half-open': 'yellow' };

function BureauCard({ tenant, config, breaker }: { tenant: string; config: BureauConfig; breaker?: string }) {
  const meta = BUREAU_META[config.bureau];
  const [opened, { open, close }] = useDisclosure(false);
  const test = useTestBureau(tenant, config.bureau);
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
            message: `${meta?.name ?? config.bureau} ${enabled ? 'enabled' : 'disabled'}`,
          }),
        onError: (err) => notifications.show({ color: 'red', title: 'Could not change', message: errorMessage(err) }),
      },
    );

  return (
    <Card withBorder radius="md" padding="lg" data-testid={`bureau-${config.bureau}`}>
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <div>
          <Title order={2} size="h4">
            {meta?.name ?? config.bureau}
          </Title>
          <Text size="xs" c="dimmed">
            {meta?.blurb}
          </Text>
        </div>
        <Switch
          checked={config.enabled}
          onChange={(e) => toggle(e.currentTarget.checked)}
          disabled={!can('bureaus:manage') || !configured || save.isPending}
          aria-label={`${meta?.name ?? config.bureau} enabled`}
          label={config.enabled ? 'On' : 'Off'}
          labelPosition="left"
        />
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
      {test.data && (
        <Badge
          mt="sm"
          size="lg"
          variant="light"
          color={test.data.ok ? 'teal' : 'red'}
          style={{ textTransform: 'none', whiteSpace: 'normal', height: 'auto' }}
          data-testid={`test-result-${config.bureau}`}
        >
          {test.data.ok
            ? `Connected in ${formatNumber(test.data.latency_ms)} ms`
            : `Failed${test.data.latency_ms != null ? ` after ${formatNumber(test.data.latency_ms)} ms` : ''}: ${test.data.error ?? 'unknown error'}`}
        </Badge>
      )}
      {test.isError && (
        <Text c="red" size="sm" mt="sm" role="alert">
          {errorMessage(test.error)}
        </Text>
      )}
      <Group mt="md" gap="xs">
        <Can need="bureaus:manage">
          <Button
            variant="light"
            leftSection={<IconSettings size={16} />}
            onClick={open}
            aria-label={`Configure ${meta?.name ?? config.bureau}`}
          >
            {configured ? 'Edit / replace secret' : 'Configure'}
          </Button>
          <Button
            variant="default"
            leftSection={<IconPlugConnected size={16} />}
            onClick={() => test.mutate()}
            loading={test.isPending}
            disabled={!configured}
            aria-label={`Test connection to ${meta?.name ?? config.bureau}`}
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
