// The application's way from approval to a booked loan: the disbursement saga's steps, the KFS, and
// the operator's actions (start, accept the KFS for the borrower, retry, cancel) for those allowed.
import { Alert, Badge, Button, Group, Loader, Modal, Paper, SimpleGrid, Stack, Text, Textarea, Timeline, Title } from '@mantine/core';
import {
  IconAlertTriangle,
  IconArrowRight,
  IconCheck,
  IconClock,
  IconDownload,
  IconPlayerPlay,
  IconRefresh,
  IconX,
} from '@tabler/icons-react';
import { useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { ErrorAlert } from '@/components/ErrorAlert';
import { Can } from '@/components/Guards';
import { QueryState } from '@/components/QueryState';
import { StatCard } from '@/components/StatCard';
import { useAuth } from '@/lib/auth';
import { formatDate, formatDateTime, formatMoney } from '@/lib/format';
import { isSettled, useDisbursement, type Saga, type SagaStep } from '../api/get-disbursement';
import { useDownloadKfs, useKfs, type Kfs } from '../api/kfs';
import { useAcceptKfs, useCompensateSaga, useRetrySaga } from '../api/saga-actions';
import { useStartDisbursement } from '../api/start-disbursement';

const STEP_LABELS: Record<SagaStep['name'], { title: string; what: string }> = {
  sanction: { title: 'Sanction', what: 'The approved terms are sanctioned.' },
  kfs: { title: 'Key Fact Statement', what: 'The KFS is issued; the borrower accepts it.' },
  esign: { title: 'E-sign', what: 'The borrower signs the agreement with Aadhaar e-sign.' },
  mandate: { title: 'E-mandate', what: 'The repayment mandate (eNACH / UPI AutoPay) is registered.' },
  disburse: { title: 'Payout', what: 'The money is paid out — after this the loan can only go forward.' },
  book: { title: 'Book', what: 'The loan is booked with its repayment schedule.' },
};

export const STEP_COLORS: Record<SagaStep['status'], string> = {
  pending: 'gray',
  running: 'blue',
  waiting: 'yellow',
  completed: 'teal',
  failed: 'red',
  compensated: 'grape',
};

const SAGA_COLORS: Record<Saga['status'], string> = {
  running: 'blue',
  waiting: 'yellow',
  completed: 'teal',
  compensating: 'grape',
  compensated: 'grape',
  failed: 'red',
};

const SAGA_WORDS: Record<Saga['status'], string> = {
  running: 'Running',
  waiting: 'Waiting',
  completed: 'Completed — loan booked',
  compensating: 'Cancelling',
  compensated: 'Cancelled',
  failed: 'Failed',
};

function stepIcon(status: SagaStep['status']): ReactNode {
  if (status === 'completed') return <IconCheck size={14} />;
  if (status === 'failed') return <IconX size={14} />;
  if (status === 'running') return <Loader size={12} color="white" />;
  if (status === 'waiting') return <IconClock size={14} />;
  if (status === 'compensated') return <IconArrowRight size={14} style={{ transform: 'rotate(180deg)' }} />;
  return null;
}

/** What the saga waits for, in words an operator can act on. */
function waitingFor(saga: Saga, step: SagaStep | undefined): string | null {
  if (saga.status !== 'waiting' || !step) return null;
  if (step.name === 'kfs') return 'Waiting for the borrower to accept the Key Fact Statement.';
  if (step.name === 'esign')
    return `Waiting for the borrower to e-sign the agreement${saga.esign_request_id ? ` (sign request ${saga.esign_request_id})` : ''}.`;
  if (step.name === 'mandate') return 'Waiting for the borrower’s bank to confirm the e-mandate.';
  return `Waiting on ${STEP_LABELS[step.name].title.toLowerCase()}.`;
}

export function SagaSteps({ saga }: { saga: Saga }) {
  const reached = saga.steps.reduce((last, s, i) => (s.status !== 'pending' ? i : last), -1);
  return (
    <Timeline active={reached} bulletSize={22} lineWidth={2} aria-label="Disbursement steps">
      {saga.steps.map((step) => {
        const color = STEP_COLORS[step.status];
        return (
          <Timeline.Item
            key={step.name}
            color={color}
            bullet={stepIcon(step.status)}
            data-testid={`saga-step-${step.name}`}
            title={
              <Group gap="xs" wrap="wrap">
                <Text fw={600} size="sm">
                  {STEP_LABELS[step.name].title}
                </Text>
                <Badge size="sm" variant="light" color={color} data-testid={`saga-step-${step.name}-status`}>
                  {step.status}
                </Badge>
                {step.attempts > 1 && (
                  <Text size="xs" c="dimmed">
                    attempt {step.attempts}
                  </Text>
                )}
              </Group>
            }
          >
            <Text size="xs" c="dimmed">
              {STEP_LABELS[step.name].what}
            </Text>
            {(step.started_at || step.finished_at) && (
              <Text size="xs" c="dimmed" mt={2}>
                {step.started_at && `Started ${formatDateTime(step.started_at)}`}
                {step.finished_at && ` · finished ${formatDateTime(step.finished_at)}`}
              </Text>
            )}
            {step.error && (
              <Text size="xs" c="red.7" mt={2} style={{ overflowWrap: 'anywhere' }}>
                {step.error}
              </Text>
            )}
          </Timeline.Item>
        );
      })}
    </Timeline>
  );
}

function CancelDialog({
  opened,
  onClose,
  onConfirm,
  pending,
  error,
}: {
  opened: boolean;
  onClose: () => void;
  onConfirm: (reason: string) => void;
  pending: boolean;
  error: unknown;
}) {
  const [reason, setReason] = useState('');
  const ok = reason.trim().length >= 3;
  return (
    <Modal opened={opened} onClose={onClose} title="Cancel this sanctioned loan?" centered>
      <Stack gap="sm">
        <Text size="sm">
          The sanction is voided, the KFS expires, the agreement is voided and any e-mandate is cancelled. Nothing has been paid out, and
          nothing will be. The borrower must be told why; the reason is kept in the audit log.
        </Text>
        <Textarea
          label="Reason"
          description="Shown on the saga and recorded in the audit log"
          placeholder="e.g. The borrower withdrew the application"
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
          maxLength={500}
          autosize
          minRows={2}
          data-autofocus
        />
        {error ? <ErrorAlert error={error} title="The loan was not cancelled" /> : null}
        <Group justify="flex-end" gap="xs">
          <Button variant="default" onClick={onClose}>
            Keep the loan
          </Button>
          <Button color="red" disabled={!ok} loading={pending} onClick={() => onConfirm(reason.trim())}>
            Cancel the loan
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function SagaActions({ tenant, applicationId, saga }: { tenant: string; applicationId: string; saga: Saga }) {
  const retry = useRetrySaga(tenant, applicationId);
  const cancel = useCompensateSaga(tenant, applicationId);
  const accept = useAcceptKfs(tenant, applicationId);
  const [confirming, setConfirming] = useState(false);
  const current = saga.steps.find((s) => s.status !== 'completed');
  const kfsOpen = saga.status === 'waiting' && current?.name === 'kfs' && saga.kfs_hash && !saga.kfs_accepted_hash;
  return (
    <Stack gap="xs">
      <Group gap="xs">
        {kfsOpen && (
          <Can need="lending:manage">
            <Button
              size="sm"
              leftSection={<IconCheck size={16} />}
              loading={accept.isPending}
              onClick={() => accept.mutate({ sagaId: saga.id, hash: saga.kfs_hash! })}
            >
              Record the borrower’s KFS acceptance
            </Button>
          </Can>
        )}
        {saga.can_retry && (
          <Can need="lending:manage">
            <Button
              size="sm"
              variant="light"
              leftSection={<IconRefresh size={16} />}
              loading={retry.isPending}
              onClick={() => retry.mutate(saga.id)}
            >
              {saga.status === 'waiting' ? 'Check again' : 'Retry'}
            </Button>
          </Can>
        )}
        {saga.can_compensate && (
          <Can need="lending:cancel">
            <Button size="sm" variant="light" color="red" leftSection={<IconX size={16} />} onClick={() => setConfirming(true)}>
              Cancel loan…
            </Button>
          </Can>
        )}
      </Group>
      {accept.isError && <ErrorAlert error={accept.error} title="The acceptance was not recorded" />}
      {retry.isError && <ErrorAlert error={retry.error} title="The saga was not run again" />}
      <CancelDialog
        opened={confirming}
        onClose={() => {
          setConfirming(false);
          cancel.reset();
        }}
        pending={cancel.isPending}
        error={cancel.error}
        onConfirm={(reason) => cancel.mutate({ sagaId: saga.id, reason }, { onSuccess: () => setConfirming(false) })}
      />
    </Stack>
  );
}

function SagaView({ tenant, applicationId, saga }: { tenant: string; applicationId: string; saga: Saga }) {
  const current = saga.steps.find((s) => s.status !== 'completed');
  const waiting = waitingFor(saga, current);
  return (
    <Stack gap="sm" data-testid="saga">
      <Group justify="space-between" gap="xs">
        <Group gap="xs">
          <Badge size="lg" variant="light" color={SAGA_COLORS[saga.status]} data-testid="saga-status">
            {SAGA_WORDS[saga.status]}
          </Badge>
          {!isSettled(saga) && <Loader size="xs" aria-label="Refreshing while the saga runs" />}
        </Group>
        {saga.loan_id && (
          <Button component={Link} to={`/loans/${saga.loan_id}`} size="sm" variant="light" rightSection={<IconArrowRight size={16} />}>
            Open the loan
          </Button>
        )}
      </Group>
      {waiting && (
        <Text size="sm" c="dimmed">
          {waiting}
        </Text>
      )}
      {saga.error && saga.status !== 'completed' && (
        <Alert color={saga.status === 'failed' ? 'red' : 'gray'} variant="light" icon={<IconAlertTriangle size={16} />} p="xs">
          <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
            {saga.error}
          </Text>
        </Alert>
      )}
      <SagaSteps saga={saga} />
      <SagaActions tenant={tenant} applicationId={applicationId} saga={saga} />
    </Stack>
  );
}

export function KfsFigures({ kfs }: { kfs: Kfs }) {
  const cost = (Number(kfs.total_interest) + Number(kfs.total_charges)).toFixed(2);
  return (
    <SimpleGrid cols={{ base: 1, xs: 2, md: 3 }} spacing="xs" data-testid="kfs-figures">
      <StatCard label="APR" value={`${kfs.apr} %`} hint="All-in annual cost, fees included" />
      <StatCard label="Total cost of credit" value={formatMoney(cost, true)} hint="Interest and charges" />
      <StatCard label="Total payable" value={formatMoney(kfs.total_amount_payable, true)} />
      <StatCard label="EMI" value={formatMoney(kfs.emi, true)} hint={`${kfs.instalment_count} monthly instalments`} />
      <StatCard label="Net disbursed" value={formatMoney(kfs.net_disbursed_amount, true)} />
      <StatCard
        label="Cooling-off"
        value={`${kfs.cooling_off_days} days`}
        hint="Exit without penalty, paying only interest and APR charges"
      />
    </SimpleGrid>
  );
}

function KfsSection({ tenant, applicationId, saga }: { tenant: string; applicationId: string; saga: Saga | null }) {
  const kfs = useKfs(tenant, applicationId);
  const download = useDownloadKfs(tenant, applicationId);
  const issued = Boolean(saga?.kfs_hash);
  return (
    <Stack gap="xs">
      <Group justify="space-between" gap="xs">
        <Title order={3} size="h5">
          Key Fact Statement {issued ? '' : '(preview of the approved terms)'}
        </Title>
        {kfs.data && (
          <Button
            size="xs"
            variant="default"
            leftSection={<IconDownload size={14} />}
            loading={download.isPending}
            onClick={() => download.mutate(kfs.data.reference)}
          >
            Download KFS (PDF)
          </Button>
        )}
      </Group>
      <QueryState query={kfs} feature="Key Fact Statement">
        {(data) => (
          <Stack gap={4}>
            <KfsFigures kfs={data} />
            <Text size="xs" c="dimmed">
              Valid until {formatDate(data.valid_until)} ·{' '}
              {saga?.kfs_accepted_hash ? 'accepted by the borrower' : issued ? 'not accepted yet' : 'not issued yet'}
            </Text>
          </Stack>
        )}
      </QueryState>
      {download.isError && <ErrorAlert error={download.error} title="The KFS could not be downloaded" />}
    </Stack>
  );
}

function Start({ tenant, applicationId }: { tenant: string; applicationId: string }) {
  const start = useStartDisbursement(tenant, applicationId);
  return (
    <Stack gap="xs">
      <Text size="sm" c="dimmed">
        Not started. Starting sanctions the approved terms, issues the KFS and takes the loan through e-sign, the e-mandate and the payout
        to a booked loan.
      </Text>
      <Can need="lending:manage" otherwise={<Text size="sm">A tenant administrator starts the disbursement.</Text>}>
        <Group>
          <Button leftSection={<IconPlayerPlay size={16} />} loading={start.isPending} onClick={() => start.mutate()}>
            Start disbursement
          </Button>
        </Group>
      </Can>
      {start.isError && <ErrorAlert error={start.error} title="The disbursement did not start" />}
    </Stack>
  );
}

/** The disbursement panel of an approved application (hidden from roles without lending:read). */
export function DisbursementPanel({ tenant, applicationId }: { tenant: string; applicationId: string }) {
  const { can } = useAuth();
  const readable = can('lending:read');
  const saga = useDisbursement(tenant, applicationId, readable);
  if (!readable) return null;
  return (
    <Paper withBorder p="md" radius="md" data-testid="disbursement">
      <Title order={2} size="h4" mb="sm">
        Disbursement
      </Title>
      <QueryState query={saga} feature="Disbursement">
        {(data) => (
          <Stack gap="lg">
            {data ? (
              <SagaView tenant={tenant} applicationId={applicationId} saga={data} />
            ) : (
              <Start tenant={tenant} applicationId={applicationId} />
            )}
            <KfsSection tenant={tenant} applicationId={applicationId} saga={data} />
          </Stack>
        )}
      </QueryState>
    </Paper>
  );
}
