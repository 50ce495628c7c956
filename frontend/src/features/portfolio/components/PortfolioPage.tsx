import { Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { DonutChart, LineChart } from '@mantine/charts';
import { DataSummary } from '@/components/DataSummary';
import { WithTenant } from '@/components/Guards';
import { PageHeader } from '@/components/PageHeader';
import { QueryState } from '@/components/QueryState';
import { EmptyState } from '@/components/StatusPanels';
import { formatMoney, formatNumber, toNumber } from '@/lib/format';
import { usePortfolioNpa } from '../api/get-portfolio-npa';
import { usePortfolioSummary } from '../api/get-portfolio-summary';
import { usePortfolioVintages } from '../api/get-portfolio-vintages';

const CLASS_COLORS = ['teal.6', 'lime.6', 'yellow.6', 'orange.6', 'red.6', 'red.8', 'grape.7', 'dark.5', 'gray.6'];

function Summary({ tenant }: { tenant: string }) {
  const q = usePortfolioSummary(tenant);
  return (
    <QueryState query={q} feature="Portfolio summary">
      {(d) => <DataSummary data={d as Record<string, unknown>} />}
    </QueryState>
  );
}

function Npa({ tenant }: { tenant: string }) {
  const q = usePortfolioNpa(tenant);
  return (
    <Paper withBorder p="md" radius="md">
      <Title order={2} size="h4" mb="sm">
        RBI asset classification
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
            const row: Record<string, number | string> = { mob: `M${mob}` };
            for (const v of cohorts) {
              const p = v.curve.find((x) => x.mob === mob);
              if (p && p.dpd30_rate != null) row[v.origination_month] = +(p.dpd30_rate * 100).toFixed(2);
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
                series={cohorts.map((v, i) => ({ name: v.origination_month, color: palette[i % palette.length]! }))}
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
      </Stack>
    </>
  );
}

export default function PortfolioPage() {
  return <WithTenant>{(tenant) => <Portfolio tenant={tenant} />}</WithTenant>;
}
