import { Alert, Button, Stack, Text } from '@mantine/core';
import { IconCircleCheck, IconPlugConnectedX } from '@tabler/icons-react';
import { formatNumber } from '@/lib/format';
import type { TestOutcome } from '../api/test-bureau';

/**
 * The last connection test, in full (a bureau's error is the one clue an analyst has), and what it
 * means for scoring: a working bureau that is still off is offered to be turned on.
 */
export function ConnectionResult({
  bureau,
  name,
  outcome,
  enabled,
  onEnable,
  enabling = false,
}: {
  bureau: string;
  name: string;
  outcome: TestOutcome;
  enabled: boolean;
  /** Absent for a user who may not change the configuration. */
  onEnable?: () => void;
  enabling?: boolean;
}) {
  const latency = outcome.latency_ms != null ? `${formatNumber(outcome.latency_ms)} ms` : null;
  const title = outcome.ok ? `Connected in ${latency}` : `Connection failed${outcome.latency_ms ? ` after ${latency}` : ''}`;
  return (
    <Alert
      mt="sm"
      variant="light"
      color={outcome.ok ? 'teal' : 'red'}
      icon={outcome.ok ? <IconCircleCheck size={18} /> : <IconPlugConnectedX size={18} />}
      title={title}
      role="status"
      data-testid={`test-result-${bureau}`}
      styles={{ message: { overflowWrap: 'anywhere' } }}
    >
      <Stack gap={6} align="flex-start">
        {!outcome.ok && (
          <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
            {outcome.error ?? 'The bureau gave no reason.'}
          </Text>
        )}
        {outcome.ok && !enabled && (
          <>
            <Text size="sm">{name} is off: decisions do not pull its reports until it is turned on.</Text>
            {onEnable && (
              <Button size="xs" color="teal" onClick={onEnable} loading={enabling}>
                Turn on {name}
              </Button>
            )}
          </>
        )}
        {outcome.ok && enabled && <Text size="sm">{name} is on: decisions pull its reports.</Text>}
        {!outcome.ok && enabled && <Text size="sm">Until this is fixed, decisions record {name} as unavailable.</Text>}
      </Stack>
    </Alert>
  );
}
