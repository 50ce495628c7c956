import { Group, Paper, SimpleGrid, Stack, Text } from '@mantine/core';
import { StatCard } from '@/components/StatCard';
import { formatDateTime, formatMoney, formatPercent } from '@/lib/format';
import { BureauPulls, ContributionsChart, DecisionBadge, Reasons, ScoreGauge, Section, type Decision } from './DecisionParts';

/** The full explanation of one decision: score, decision, money, reasons, SHAP chart, bureau pulls. */
export function DecisionResult({ decision }: { decision: Decision }) {
  return (
    <Stack gap="md" data-testid="decision-result">
      <Paper withBorder p="md" radius="md">
        <Group justify="space-between" align="center" gap="md" wrap="wrap">
          <ScoreGauge score={decision.score} />
          <Stack gap="xs" align="flex-start" style={{ flex: '1 1 200px' }}>
            <DecisionBadge decision={decision.decision} />
            <Text size="sm" c="dimmed">
              Model v{decision.model.version} · policy v{decision.policy_version}
            </Text>
            <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
              Application {decision.application_id}
              <br />
              decided {formatDateTime(decision.created_at)}
            </Text>
          </Stack>
        </Group>
        <SimpleGrid cols={{ base: 2, xl: 4 }} spacing="xs" mt="md">
          <StatCard label="Credit score" value={decision.credit_score} hint="300–900" />
          <StatCard label="Default probability" value={formatPercent(decision.pd, 1)} />
          <StatCard label="Expected loss" value={formatMoney(decision.expected_loss)} />
          <StatCard label="Credit limit" value={formatMoney(decision.credit_limit)} />
        </SimpleGrid>
      </Paper>
      <SimpleGrid cols={{ base: 1, xl: 2 }} spacing="md">
        <Section title="Reasons">
          <Reasons reasons={decision.shap_explanation} />
          {!!decision.positive_factors?.length && (
            <>
              <Text size="sm" fw={600} mt="sm" mb={4}>
                In the applicant&apos;s favour
              </Text>
              <Reasons reasons={decision.positive_factors} testId="positive-factors" />
            </>
          )}
        </Section>
        <Section title="Bureau pulls">
          <BureauPulls pulls={decision.bureau_reports ?? []} />
        </Section>
      </SimpleGrid>
      <Section title="What drove the score (SHAP contributions)">
        <ContributionsChart contributions={decision.contributions} />
      </Section>
    </Stack>
  );
}
