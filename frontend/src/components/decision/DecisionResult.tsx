import { Group, Paper, SimpleGrid, Stack, Text } from '@mantine/core';
import { StatCard } from '@/components/StatCard';
import { formatDateTime, formatMoney, formatPercent } from '@/lib/format';
import {
  AdverseReasons,
  BureauPulls,
  BureauStatusNote,
  ContributionsChart,
  DecisionBadge,
  DecisionInputs,
  Reasons,
  ScoreGauge,
  Section,
  type Decision,
} from './DecisionParts';

/**
 * The full explanation of one decision: score, decision, money; for Review/Reject the reasons (the
 * policy's, then the adverse-action reasons sized against a good reference), for Approve the key
 * factors; the SHAP chart, the bureau pulls and the inputs the decision used.
 */
export function DecisionResult({ decision }: { decision: Decision }) {
  const approved = decision.decision === 'Approve';
  return (
    <Stack gap="md" data-testid="decision-result">
      <Paper withBorder p="md" radius="md">
        <Group justify="space-between" align="center" gap="md" wrap="wrap">
          <ScoreGauge score={decision.score} />
          <Stack gap="xs" align="flex-start" style={{ flex: '1 1 200px', minWidth: 0 }}>
            <DecisionBadge decision={decision.decision} />
            <Text size="sm" c="dimmed">
              Model v{decision.model.version} · {decision.policy_version ? `policy v${decision.policy_version}` : 'default policy'}
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
        {approved ? (
          <Section title="Key factors">
            <Reasons reasons={decision.shap_explanation} testId="reasons" />
          </Section>
        ) : (
          <Section title="Reasons">
            <Reasons reasons={decision.shap_explanation} testId="reasons" />
            <Text size="sm" fw={600} mt="sm" mb={4}>
              What cost the applicant most (against a good applicant)
            </Text>
            <AdverseReasons reasons={decision.adverse_reasons ?? []} />
          </Section>
        )}
        <Section title="Bureau pulls">
          <BureauStatusNote status={decision.bureau_status} />
          <BureauPulls pulls={decision.bureau_reports ?? []} />
        </Section>
      </SimpleGrid>
      <Section title="What drove the score">
        <ContributionsChart contributions={decision.contributions} />
      </Section>
      {decision.inputs && (
        <Section title="What the decision used">
          <DecisionInputs inputs={decision.inputs} bureauStatus={decision.bureau_status} />
        </Section>
      )}
    </Stack>
  );
}
