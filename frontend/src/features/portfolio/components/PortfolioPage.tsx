import { Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { DonutChart, LineChart } from '@mantine/charts';
import { WithTenant } from '@/components/Guards';
import { PageHeader } from '@/components/PageHeader';
import { QueryState } from '@/components/QueryState';
import { StatCard } from '@/components/StatCard';
import { EmptyState } from '@/components/StatusPanels';
import { formatMoney, formatNumber, formatPercent, toNumber } from '@/lib/format';
import { usePortfolioNpa } from '../api/get-portfolio-npa';
import { usePortfolioSummary } from '../api/get-portfolio-summary';
import { usePortfolioVintages } from '../api/get-portfolio-vintages';
import { LoanList } from './LoanList';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "2025-03" → "Mar 2025 loans" (a local helper: lib/format.ts has no month formatting). */
function cohortLabel(month: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  return m ? `${MONTHS[Number(m[2]) - 1]} ${m[1]} loans` : month;
}

const CLASS_COLORS = ['teal.6', 'lime.6', 'yellow.6', 'orange.6', 'red.6', 'red.8', 'grape.7', 'dark.5', 'gray.6'];

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <Paper withBorder p="md" radius="md">
      <Title order={2} size="h4" mb="sm">
        {title}
      </Title>
      {children}
    </Paper>
  );
}

function Summary({ tenant }: { tenant: string }) {
  const q = usePortfolioSummary(tenant);
  return (
    <QueryState query={q} feature="Portfolio summary">
      {(d) => (
        <Stack gap="md" data-testid="portfolio-summary">
          <Section title="The book">
            <SimpleGrid cols={{ base: 2, sm: 3, lg: 5 }} spacing="sm">
              <StatCard
                label="Loans"
                value={formatNumber(d.loans.total)}
                hint={`${formatNumber(d.loans.active)} active · ${formatNumber(d.loans.closed)} closed`}
              />
              <StatCard label="Disbursed" value={formatMoney(d.disbursed_amount)} />
              <StatCard label="Principal outstanding" value={formatMoney(d.outstanding_principal)} />
              <StatCard label="Collected" value={formatMoney(d.collected_amount)} />
              <StatCard label="Overdue" value={formatMoney(d.overdue_amount)} hint="Instalments past due and unpaid" />
            </SimpleGrid>
          </Section>
          <Section title="Asset quality">
            <SimpleGrid cols={{ base: 2, sm: 3, lg: 4 }} spacing="sm">
              <StatCard
                label="Gross NPA"
                value={formatPercent(d.gross_npa.ratio, 2)}
                hint={`${formatNumber(d.gross_npa.loans)} loans · ${formatMoney(d.gross_npa.outstanding)}`}
              />
              <StatCard
                label="Net NPA"
                value={formatPercent(d.net_npa.ratio, 2)}
                hint={`After ${formatMoney(d.net_npa.provisions)} provisions held on NPAs`}
              />
              <StatCard
                label="Default rate (ever 90+ DPD)"
                value={formatPercent(d.default_rate, 2)}
                hint="Share of all disbursed loans that ever became NPA"
              />
              <StatCard
                label="12-month default rate"
                value={formatPercent(d.default_rate_12m, 2)}
                hint="NPA within 12 months, among loans at least 12 months on book"
              />
            </SimpleGrid>
          </Section>
          <Section title="Provisions and expected loss">
            <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
              <StatCard
                label="Provision required (RBI IRACP minimum)"
                value={formatMoney(d.provisions_total)}
                hint="Regulatory floor on every active loan: 0.4 % on standard assets, 15–100 % on NPAs by class and security"
              />
              <StatCard
                label="Expected credit loss"
                value={formatMoney(d.expected_loss)}
                hint={`The model's estimate: PD at origination × outstanding × LGD ${formatPercent(d.lgd, 0)}, over active loans`}
              />
              <StatCard
                label="Average PD of active loans"
                value={formatPercent(d.average_pd, 2)}
                hint="PD at origination, weighted by outstanding principal"
              />
            </SimpleGrid>
            <Text size="xs" c="dimmed" mt="xs">
              The two amounts answer different questions: the provision is what RBI&apos;s asset-classification norms require to be set
              aside, driven by how overdue loans are today; expected credit loss is what the risk model expects to lose, driven by each
              borrower&apos;s PD.
            </Text>
          </Section>
          <Section title="Origination">
            <SimpleGrid cols={{ base: 2, sm: 3 }} spacing="sm">
              <StatCard
                label="Approval rate"
                value={formatPercent(d.approval_rate)}
                hint={`Approved ÷ decided, knock-outs included — last ${d.approval_window_months} months, as on Monitoring`}
              />
              <StatCard
                label="Applications decided"
                value={formatNumber(d.applications)}
                hint={`Last ${d.approval_window_months} months`}
              />
            </SimpleGrid>
          </Section>
        </Stack>
      )}
    </QueryState>
  );
}

function Npa({ tenant }: { tenant: string }) {
  const q = usePortfolioNpa(tenant);
  return (
    <Paper withBorder p="md" radius="md">
      <Title order={2} size="h4" mb="sm">
        RBI asset classification of active loans
      </Title>
      <QueryState query={q} feature="NPA breakdown" isEmpty={(d) => d.classes.length === 0} empty={<EmptyState title="No loans yet" />}>
        {(data) => (
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
            <DonutChart
              data={data.classes.map((c, i) => ({
                name: c.label,
                value: toNumber(c.outstanding) ?? 0,
                color: CLASS_COLORS[i % CLASS_COLORS.length]!,
              }))}
              withLabelsLine={false}
              withTooltip
              tooltipDataSource="segment"
              valueFormatter={(v) => formatMoney(v)}
              size={180}
              thickness={28}
              mx="auto"
              aria-label="Outstanding by asset class"
            />
            <Table fz="sm" verticalSpacing={4} aria-label="NPA breakdown">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Class</Table.Th>
                  <Table.Th ta="right">Loans</Table.Th>
                  <Table.Th ta="right">Outstanding</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.classes.map((c) => (
                  <Table.Tr key={c.asset_class} bg={c.npa ? 'var(--mantine-color-red-light)' : undefined}>
                    <Table.Td fw={500}>{c.label}</Table.Td>
                    <Table.Td ta="right">{formatNumber(c.loans)}</Table.Td>
                    <Table.Td ta="right">{formatMoney(c.outstanding)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </SimpleGrid>
        )}
      </QueryState>
    </Paper>
  );
}

function Vintages({ tenant }: { tenant: string }) {
  const q = usePortfolioVintages(tenant);
  return (
    <Paper withBorder p="md" radius="md">
      <Title order={2} size="h4" mb={4}>
        Vintage curves
      </Title>
      <Text size="xs" c="dimmed" mb="sm">
        Cumulative share of loans that reached 30+ days past due, by origination month, against months on book.
      </Text>
      <QueryState
        query={q}
        feature="Vintage curves"
        isEmpty={(d) => d.vintages.length === 0}
        empty={<EmptyState title="No vintages yet" />}
      >
        {(data) => {
          // Show at most 8 cohorts to keep the chart legible: every k-th one.
          const step = Math.max(1, Math.ceil(data.vintages.length / 8));
          const cohorts = data.vintages.filter((_, i) => i % step === 0);
          const mobs = [...new Set(cohorts.flatMap((v) => v.curve.map((p) => p.mob)))].sort((a, b) => a - b);
          const rows = mobs.map((mob) => {
            const row: Record<string, number | string> = { mob: `Month ${mob}` };
            for (const v of cohorts) {
              const p = v.curve.find((x) => x.mob === mob);
              if (p && p.dpd30_rate != null) row[cohortLabel(v.origination_month)] = +(p.dpd30_rate * 100).toFixed(2);
            }
            return row;
          });
          const palette = ['blue.6', 'cyan.6', 'teal.6', 'green.6', 'yellow.6', 'orange.6', 'red.6', 'grape.6'];
          return (
            <div data-testid="vintage-chart">
              <LineChart
                h={300}
                data={rows}
                dataKey="mob"
                series={cohorts.map((v, i) => ({ name: cohortLabel(v.origination_month), color: palette[i % palette.length]! }))}
                unit="%"
                withLegend
                withDots={false}
                connectNulls
                tooltipAnimationDuration={0}
              />
            </div>
          );
        }}
      </QueryState>
    </Paper>
  );
}

function Portfolio({ tenant }: { tenant: string }) {
  return (
    <>
      <PageHeader title="Portfolio" description={`The loan book of ${tenant}: balances, asset quality and how each cohort performs.`} />
      <Stack gap="md">
        <Summary tenant={tenant} />
        <Npa tenant={tenant} />
        <Vintages tenant={tenant} />
        <LoanList tenant={tenant} />
      </Stack>
    </>
  );
}

export default function PortfolioPage() {
  return <WithTenant>{(tenant) => <Portfolio tenant={tenant} />}</WithTenant>;
}
