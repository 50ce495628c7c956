import { Alert, Button, Group, Loader, Text } from '@mantine/core';
import { IconShieldCheck, IconShieldX } from '@tabler/icons-react';
import { ErrorAlert } from '@/components/ErrorAlert';
import type { AuditChain } from '../api/list-audit-events';
import { useAuditVerify } from '../api/verify-audit-chain';

/** The hash chain's verification result: intact with N events, or the first broken link. */
export function ChainStatus({ chain }: { chain: AuditChain }) {
  const verify = useAuditVerify(chain);
  if (verify.isPending)
    return (
      <Group gap="xs" role="status">
        <Loader size="xs" />
        <Text size="sm">Verifying the audit chain…</Text>
      </Group>
    );
  if (verify.isError) return <ErrorAlert error={verify.error} title="Could not verify the chain" onRetry={() => void verify.refetch()} />;
  const v = verify.data;
  const recheck = (
    <Button size="xs" variant="subtle" onClick={() => void verify.refetch()} loading={verify.isFetching}>
      Verify again
    </Button>
  );
  if (v.ok)
    return (
      <Alert color="teal" variant="light" icon={<IconShieldCheck size={18} />} title="Audit chain intact" data-testid="chain-status">
        <Group justify="space-between" gap="xs">
          <Text size="sm">All {v.events.toLocaleString('en-IN')} events verify: no event was changed, removed or inserted.</Text>
          {recheck}
        </Group>
      </Alert>
    );
  return (
    <Alert color="red" variant="light" icon={<IconShieldX size={18} />} title="Audit chain broken" data-testid="chain-status">
      <Text size="sm">
        The chain breaks at event #{v.broken_seq ?? '?'} ({v.broken_action ?? 'unknown action'}): {v.reason ?? 'hash mismatch'}.
      </Text>
      {recheck}
    </Alert>
  );
}
