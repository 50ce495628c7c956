// One loan: who and what (borrower masked), where it stands (DPD, RBI class), its balance over time,
// the schedule, the payments, the e-mandate with its debits, and the events timeline.
import { Anchor, Badge, Group, Pagination, Paper, SimpleGrid, Stack, Text, Timeline, Title } from '@mantine/core';
import { LineChart } from '@mantine/charts';
import { IconArrowLeft } from '@tabler/icons-react';
import { useState, type ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { TableView, type Column } from '@/components/DataTable';
import { WithTenant } from '@/components/Guards';
import { PageHeader } from '@/components/PageHeader';
import { QueryState } from '@/components/QueryState';
import { StatCard } from '@/components/StatCard';
import { EmptyState } from '@/components/StatusPanels';
import { formatDate, formatDateTime, formatMoney, formatNumber, maskName, toNumber } from '@/lib/format';
import {
  useLoan,
  useLoanEvents,
  useLoanHistory,
  useLoanMandate,
  type Loan,
  type LoanEvent,
  type LoanHistory,
  type Mandate,
} from '../api/get-loan';

type Instalment = Loan['schedule'][number];
type Payment = Loan['payments'][number];
type Debit = Mandate['debits'][number];

const INSTALMENT_COLORS: Record<Instalment['status'], string> = {
  paid: 'teal',
  part_paid: 'yellow',
  overdue: 'red',
  due: 'blue',
  upcoming: 'gray',
};
const DEBIT_COLORS: Record<Debit['status'], string> = { scheduled: 'gray', presented: 'blue', paid: 'teal', bounced: 'red' };
const MANDATE_COLORS: Record<Mandate['status'], string> = { pending: 'yellow', active: 'teal', rejected: 'red', cancelled: 'gray' };

function classColor(assetClass: string | null | undefined): string {
  if (!assetClass || assetClass === 'standard') return 'teal';
  if (assetClass.startsWith('sma')) return 'orange';
  return 'red';
}

function Panel({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) {
  return (
    <Paper withBorder p="md" radius="md" data-testid={testId}>
      <Title order={2} size="h4" mb="sm">
        {title}
      </Title>
      {children}
    </Paper>
  );
}

function Header({ loan }: { loan: Loan }) {
  return (
    <Stack gap="md">
      <Group gap="xs" data-testid="loan-badges">
        <Badge variant="light" color={loan.status === 'active' ? 'blue' : 'gray'}>
          {loan.status.replace('_', ' ')}
        </Badge>
        <Badge variant="light" color={loan.dpd > 0 ? 'red' : 'teal'}>
          {loan.dpd} DPD
        </Badge>
        {loan.asset_class_label && (
          <Badge variant="light" color={classColor(loan.asset_class)}>
            {loan.asset_class_label}
          </Badge>
        )}
      </Group>
      <SimpleGrid cols={{ base: 2, sm: 3, xl: 6 }} spacing="sm">
        <StatCard
          label="Borrower"
          value={
            <Anchor component={Link} to={`/borrowers/${loan.customer_id}`} title="Consents, contact rules and messages">
              {maskName(loan.customer_name)}
            </Anchor>
          }
          hint={loan.purpose ?? undefined}
        />
        <StatCard label="Principal" value={formatMoney(loan.principal)} hint={`Disbursed ${formatDate(loan.disbursed_on)}`} />
        <StatCard label="Rate" value={`${formatNumber(loan.annual_rate_pct)} % p.a.`} />
        <StatCard label="Tenure" value={`${loan.tenure_months} months`} hint={`Matures ${formatDate(loan.maturity_on)}`} />
        <StatCard label="EMI" value={formatMoney(loan.emi, true)} />
        <StatCard
          label="Outstanding"
          value={formatMoney(loan.outstanding_principal)}
          hint={`Overdue ${formatMoney(loan.overdue_amount)}`}
        />
      </SimpleGrid>
    </Stack>
  );
}

/** Scheduled balance (the amortisation) against the actual outstanding at each month end. */
export function balanceSeries(loan: Loan, history: LoanHistory | undefined) {
  const rows = new Map<string, { month: string; Scheduled?: number; Actual?: number }>();
  const row = (day: string) => {
    const month = day.slice(0, 7);
    if (!rows.has(month)) rows.set(month, { month });
    return rows.get(month)!;
  };
  row(loan.disbursed_on).Scheduled = toNumber(loan.principal) ?? undefined;
  for (const i of loan.schedule) row(i.due_on).Scheduled = toNumber(i.closing_balance) ?? undefined;
  for (const p of history?.points ?? []) row(p.as_of).Actual = toNumber(p.outstanding_principal) ?? undefined;
  return [...rows.values()].sort((a, b) => a.month.localeCompare(b.month));
}

function BalanceChart({ tenant, loan }: { tenant: string; loan: Loan }) {
  const history = useLoanHistory(tenant, loan.id);
  const data = balanceSeries(loan, history.data);
  return (
    <Panel title="Outstanding principal over time" testId="loan-balance">
      <Text size="xs" c="dimmed" mb="sm">
        The schedule&apos;s balance after each instalment against the principal actually outstanding at each month end: a gap above the
        schedule is what the borrower is behind.
      </Text>
      <LineChart
        h={240}
        data={data}
        dataKey="month"
        series={[
          { name: 'Scheduled', color: 'gray.5' },
          { name: 'Actual', color: 'blue.6' },
        ]}
        valueFormatter={(v) => formatMoney(v)}
        withLegend
        connectNulls
        withDots={false}
        curveType="linear"
        yAxisProps={{ width: 84 }}
        tooltipAnimationDuration={0}
      />
    </Panel>
  );
}

const SCHEDULE_COLUMNS: Column<Instalment>[] = [
  { header: '#', cell: (i) => i.seq },
  { header: 'Due', cell: (i) => formatDate(i.due_on) },
  { header: 'Principal', cell: (i) => formatMoney(i.principal, true), th: { ta: 'right' }, td: { ta: 'right' } },
  { header: 'Interest', cell: (i) => formatMoney(i.interest, true), th: { ta: 'right' }, td: { ta: 'right' } },
  { header: 'Amount', cell: (i) => formatMoney(i.amount, true), th: { ta: 'right' }, td: { ta: 'right' } },
  { header: 'Paid', cell: (i) => formatMoney(i.paid_amount, true), th: { ta: 'right' }, td: { ta: 'right' } },
  {
    header: 'Status',
    cell: (i) => (
      <Badge size="sm" variant="light" color={INSTALMENT_COLORS[i.status]}>
        {i.status.replace('_', ' ')}
      </Badge>
    ),
  },
];

const PAYMENT_COLUMNS: Column<Payment>[] = [
  { header: 'Date', cell: (p) => formatDate(p.paid_on) },
  { header: 'Amount', cell: (p) => formatMoney(p.amount, true), th: { ta: 'right' }, td: { ta: 'right' } },
  { header: 'Channel', cell: (p) => (p.channel ? p.channel.toUpperCase() : '—') },
  {
    header: 'Reference',
    cell: (p) => (
      <Text size="sm" ff="monospace" style={{ overflowWrap: 'anywhere' }}>
        {p.reference}
      </Text>
    ),
  },
];

const DEBIT_COLUMNS: Column<Debit>[] = [
  { header: 'Due', cell: (d) => formatDate(d.due_date) },
  { header: 'Amount', cell: (d) => formatMoney(d.amount, true), th: { ta: 'right' }, td: { ta: 'right' } },
  {
    header: 'Status',
    cell: (d) => (
      <Badge size="sm" variant="light" color={DEBIT_COLORS[d.status]}>
        {d.status}
      </Badge>
    ),
  },
  { header: 'Bounce reason', cell: (d) => (d.status === 'bounced' ? `${d.reason_code ?? ''} ${d.reason ?? ''}`.trim() || '—' : '—') },
];

function MandatePanel({ tenant, loanId }: { tenant: string; loanId: string }) {
  const mandate = useLoanMandate(tenant, loanId);
  return (
    <Panel title="E-mandate" testId="loan-mandate">
      <QueryState
        query={mandate}
        feature="E-mandate"
        isEmpty={(m) => m === null}
        empty={<EmptyState title="No e-mandate on this loan">Repayments arrive by other channels (UPI, payment links, NEFT).</EmptyState>}
      >
        {(m) =>
          m && (
            <Stack gap="sm">
              <Group gap="xs">
                <Badge variant="light" color={MANDATE_COLORS[m.status]}>
                  {m.status}
                </Badge>
                <Text size="sm">UMRN {m.umrn ?? '— (not registered yet)'}</Text>
              </Group>
              <Text size="sm" c="dimmed">
                Debits up to {formatMoney(m.max_amount, true)} · registered {formatDateTime(m.registered_at)}
              </Text>
              {m.debits.length > 0 ? (
                <TableView
                  label="Mandate debits"
                  columns={DEBIT_COLUMNS}
                  rows={m.debits}
                  rowKey={(d) => `${d.due_date}-${d.amount}`}
                  rowProps={(d) => (d.status === 'bounced' ? { bg: 'var(--mantine-color-red-light)' } : {})}
                  minWidth={480}
                  framed={false}
                  table={{ fz: 'sm', verticalSpacing: 4 }}
                />
              ) : (
                <Text size="sm" c="dimmed">
                  No debits presented yet.
                </Text>
              )}
            </Stack>
          )
        }
      </QueryState>
    </Panel>
  );
}

const EVENT_WORDS: Record<string, string> = {
  'loan.disbursed': 'Loan disbursed',
  'payment.received': 'Payment received',
  'loan.dpd_changed': 'Days past due changed',
  'collections.case_opened': 'Collections case opened',
  'message.status_changed': 'Message to the borrower',
  'ptp.kept': 'Promise to pay kept',
  'ptp.broken': 'Promise to pay broken',
};

/** One line saying what the event's data says. */
export function describeEvent(e: LoanEvent): string {
  const d = e.data as Record<string, unknown>;
  switch (e.type) {
    case 'loan.disbursed':
      return `${formatMoney(d.principal)} on ${formatDate(String(d.disbursed_on ?? ''))}`;
    case 'payment.received':
      return `${formatMoney(d.amount, true)} on ${formatDate(String(d.paid_on ?? ''))}${d.channel ? ` by ${String(d.channel).toUpperCase()}` : ''} · ${String(d.reference ?? '')}`;
    case 'loan.dpd_changed':
      return `${String(d.previous_dpd)} → ${String(d.dpd)} DPD (${String(d.bucket)}${d.asset_class ? `, ${String(d.asset_class).replace('_', '-').toUpperCase()}` : ''}) as of ${formatDate(String(d.as_of ?? ''))}`;
    case 'collections.case_opened':
      return `At ${String(d.dpd)} DPD, ${formatMoney(d.overdue_amount)} overdue`;
    case 'message.status_changed':
      return `${String(d.channel)} ${String(d.status)}`;
    case 'ptp.kept':
    case 'ptp.broken':
      return `${formatMoney(d.paid_amount)} of ${formatMoney(d.amount)} promised for ${formatDate(String(d.promised_on ?? ''))}`;
    default:
      return '';
  }
}

const EVENTS_PAGE = 20;

function EventsTimeline({ tenant, loanId }: { tenant: string; loanId: string }) {
  const [page, setPage] = useState(1);
  const events = useLoanEvents(tenant, loanId, EVENTS_PAGE, (page - 1) * EVENTS_PAGE);
  return (
    <Panel title="Events" testId="loan-events">
      <QueryState query={events} feature="Loan events" isEmpty={(d) => d.total === 0} empty={<EmptyState title="No events yet" />}>
        {(data) => (
          <Stack gap="sm">
            <Timeline bulletSize={12} lineWidth={2} active={data.items.length}>
              {data.items.map((e) => (
                <Timeline.Item
                  key={e.id}
                  color={e.type === 'loan.dpd_changed' ? 'orange' : e.type === 'payment.received' ? 'teal' : 'blue'}
                  title={
                    <Text size="sm" fw={600}>
                      {EVENT_WORDS[e.type] ?? e.type}
                    </Text>
                  }
                >
                  <Text size="sm">{describeEvent(e)}</Text>
                  <Text size="xs" c="dimmed">
                    {formatDateTime(e.occurred_at)} · <code>{e.type}</code>
                  </Text>
                </Timeline.Item>
              ))}
            </Timeline>
            {data.total > EVENTS_PAGE && (
              <Pagination total={Math.ceil(data.total / EVENTS_PAGE)} value={page} onChange={setPage} siblings={1} size="sm" />
            )}
          </Stack>
        )}
      </QueryState>
    </Panel>
  );
}

function LoanView({ tenant, id }: { tenant: string; id: string }) {
  const loan = useLoan(tenant, id);
  return (
    <>
      <Group mb="xs">
        <Anchor component={Link} to="/portfolio" size="sm">
          <Group gap={4}>
            <IconArrowLeft size={14} /> Portfolio
          </Group>
        </Anchor>
      </Group>
      <PageHeader
        title={loan.data ? `Loan ${loan.data.external_ref ?? loan.data.id.slice(0, 8)}` : 'Loan'}
        description={
          loan.data?.application_id ? (
            <>
              From application{' '}
              <Anchor component={Link} to={`/applications/${loan.data.application_id}`} size="sm">
                {loan.data.application_id.slice(0, 8)}
              </Anchor>{' '}
              · position as of {formatDate(loan.data.as_of)}
            </>
          ) : (
            loan.data && `Position as of ${formatDate(loan.data.as_of)}`
          )
        }
      />
      <QueryState query={loan} feature="Loan">
        {(data) => (
          <Stack gap="md">
            <Header loan={data} />
            <BalanceChart tenant={tenant} loan={data} />
            <Panel title="Repayment schedule" testId="loan-schedule">
              <TableView
                label="Repayment schedule"
                columns={SCHEDULE_COLUMNS}
                rows={data.schedule}
                rowKey={(i) => i.seq}
                minWidth={620}
                framed={false}
                table={{ fz: 'sm', verticalSpacing: 4, striped: true }}
              />
            </Panel>
            <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="md">
              <Stack gap="md">
                <Panel title="Payments" testId="loan-payments">
                  {data.payments.length ? (
                    <TableView
                      label="Payments"
                      columns={PAYMENT_COLUMNS}
                      rows={[...data.payments].sort((a, b) => b.paid_on.localeCompare(a.paid_on))}
                      rowKey={(p) => p.id}
                      minWidth={420}
                      framed={false}
                      table={{ fz: 'sm', verticalSpacing: 4 }}
                    />
                  ) : (
                    <Text size="sm" c="dimmed">
                      No payments yet.
                    </Text>
                  )}
                </Panel>
                <MandatePanel tenant={tenant} loanId={data.id} />
              </Stack>
              <EventsTimeline tenant={tenant} loanId={data.id} />
            </SimpleGrid>
          </Stack>
        )}
      </QueryState>
    </>
  );
}

export default function LoanPage() {
  const { id = '' } = useParams();
  return <WithTenant>{(tenant) => <LoanView tenant={tenant} id={id} />}</WithTenant>;
}
