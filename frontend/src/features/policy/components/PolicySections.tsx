// The policy editor's sections; each edits its part of the one policy form.
import {
  ActionIcon,
  Badge,
  Button,
  Checkbox,
  Grid,
  Group,
  NumberInput,
  Paper,
  Radio,
  Select,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
  Tooltip,
  type NumberInputProps,
} from '@mantine/core';
import type { UseFormReturnType } from '@mantine/form';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import { ApprovalPreview } from './ApprovalPreview';
import { BUREAUS, EMPTY_RULE, RULE_OUTCOMES, type Bureau, type PolicyValues, type Rule } from './policy-form';

interface SectionProps {
  form: UseFormReturnType<PolicyValues>;
  readOnly: boolean;
}

type NumberField = 'approve_below_pd' | 'reject_at_or_above_pd' | 'lgd' | 'adverse_reason_min_impact';

/** A number field of the policy: a cleared input counts as 0, as the API would read it. */
function numberProps(form: SectionProps['form'], field: NumberField): NumberInputProps {
  return { ...form.getInputProps(field), onChange: (v) => form.setFieldValue(field, Number(v)) };
}

const MONO = { input: { fontFamily: 'var(--mantine-font-family-monospace)' } };

export function ThresholdsSection({ form, readOnly, tenant, version }: SectionProps & { tenant: string; version: number }) {
  const fraction = { min: 0, max: 1, readOnly } as const;
  return (
    <Paper withBorder p="md" radius="md">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4">
          Thresholds
        </Title>
        <Badge variant="light">version {version}</Badge>
      </Group>
      <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
        <NumberInput
          label="Approve when PD is below"
          step={0.01}
          decimalScale={3}
          {...fraction}
          {...numberProps(form, 'approve_below_pd')}
        />
        <NumberInput
          label="Reject when PD is at or above"
          step={0.01}
          decimalScale={3}
          {...fraction}
          {...numberProps(form, 'reject_at_or_above_pd')}
        />
        <NumberInput label="Loss given default (LGD)" step={0.05} decimalScale={2} {...fraction} {...numberProps(form, 'lgd')} />
      </SimpleGrid>
      <Text size="xs" c="dimmed" mt={4}>
        Between the two thresholds an application is referred for review. Expected loss = PD × exposure × LGD.
      </Text>
      <Paper bg="gray.0" p="sm" radius="md" mt="md" data-testid="approval-preview-panel">
        <ApprovalPreview tenant={tenant} approve={form.values.approve_below_pd} reject={form.values.reject_at_or_above_pd} />
      </Paper>
    </Paper>
  );
}

function RuleRow({ form, readOnly, index, rule }: SectionProps & { index: number; rule: Rule }) {
  const path = `knockout_rules.${index}`;
  return (
    <Paper withBorder p="sm" radius="md" data-testid={`rule-${index}`}>
      <Grid gutter="xs">
        <Grid.Col span={{ base: 12, sm: 6, lg: 3 }}>
          <TextInput label="Name" readOnly={readOnly} {...form.getInputProps(`${path}.name`)} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 6, lg: 4 }}>
          <TextInput label="When (ZEN expression)" styles={MONO} readOnly={readOnly} {...form.getInputProps(`${path}.when`)} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 4, lg: 2 }}>
          <Select
            label="Outcome"
            data={RULE_OUTCOMES}
            allowDeselect={false}
            readOnly={readOnly}
            {...form.getInputProps(`${path}.outcome`)}
          />
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 8, lg: 3 }}>
          <Group gap="xs" align="flex-end" wrap="nowrap">
            <TextInput label="Reason" style={{ flex: 1 }} readOnly={readOnly} {...form.getInputProps(`${path}.reason`)} />
            {!readOnly && (
              <Tooltip label="Remove rule">
                <ActionIcon
                  variant="subtle"
                  color="red"
                  size="lg"
                  aria-label={`Remove rule ${rule.name || index + 1}`}
                  onClick={() => form.removeListItem('knockout_rules', index)}
                >
                  <IconTrash size={16} />
                </ActionIcon>
              </Tooltip>
            )}
          </Group>
        </Grid.Col>
      </Grid>
    </Paper>
  );
}

export function KnockoutRulesSection({ form, readOnly }: SectionProps) {
  const rules = form.values.knockout_rules;
  return (
    <Paper withBorder p="md" radius="md">
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h4">
          Knock-out rules
        </Title>
        {!readOnly && (
          <Button
            size="xs"
            variant="light"
            leftSection={<IconPlus size={14} />}
            onClick={() => form.insertListItem('knockout_rules', { ...EMPTY_RULE })}
          >
            Add rule
          </Button>
        )}
      </Group>
      <Text size="xs" c="dimmed" mb="sm">
        Checked before the model, in order. Conditions are ZEN expressions over the applicant&apos;s features, e.g. <code>age &lt; 21</code>{' '}
        or <code>foir &gt; 0.65</code>.
      </Text>
      <Stack gap="sm">
        {rules.length === 0 && (
          <Text size="sm" c="dimmed">
            No knock-out rules.
          </Text>
        )}
        {rules.map((r, i) => (
          <RuleRow key={i} form={form} readOnly={readOnly} index={i} rule={r} />
        ))}
      </Stack>
    </Paper>
  );
}

export function BureauPullSection({ form, readOnly, saved }: SectionProps & { saved: Bureau[] | null }) {
  const listed = form.values.pull_bureaus;
  return (
    <Paper withBorder p="md" radius="md" data-testid="bureau-pull-rule">
      <Title order={2} size="h4" mb="xs">
        Bureau pulls and reasons
      </Title>
      <Radio.Group
        label="Pull bureau reports for every applicant with a PAN from"
        value={listed === null ? 'enabled' : 'listed'}
        onChange={(v) => form.setFieldValue('pull_bureaus', v === 'enabled' ? null : (saved ?? [...BUREAUS]))}
      >
        <Stack gap={6} mt={6}>
          <Radio value="enabled" label="Every bureau switched on under Bureaus" disabled={readOnly} />
          <Radio value="listed" label="Only these bureaus" disabled={readOnly} />
        </Stack>
      </Radio.Group>
      {listed !== null && (
        <Checkbox.Group
          value={listed}
          onChange={(v) =>
            form.setFieldValue(
              'pull_bureaus',
              BUREAUS.filter((b) => v.includes(b)),
            )
          }
          aria-label="Bureaus the policy pulls"
          mt="xs"
        >
          <Group gap="md">
            {BUREAUS.map((b) => (
              <Checkbox key={b} value={b} label={b.toUpperCase()} disabled={readOnly} />
            ))}
          </Group>
        </Checkbox.Group>
      )}
      <Text size="xs" c="dimmed" mt={4}>
        Reports are merged by the tenant&apos;s merge rule (Bureaus page). Only users allowed to choose bureaus may narrow this for one
        application. An applicant with a PAN whose bureaus cannot be reached is referred for review with “Bureau data unavailable”.
      </Text>
      <NumberInput
        mt="sm"
        maw={320}
        label="Smallest adverse factor given as a reason"
        description="Cost in log-odds of default against a good applicant; smaller factors are not reported (0.1 ≈ 10 % higher odds)"
        min={0}
        max={5}
        step={0.05}
        decimalScale={2}
        readOnly={readOnly}
        {...numberProps(form, 'adverse_reason_min_impact')}
      />
    </Paper>
  );
}

export function LimitRulesSection({ form, readOnly }: SectionProps) {
  return (
    <Paper withBorder p="md" radius="md">
      <Title order={2} size="h4" mb="xs">
        Limit rules
      </Title>
      <Textarea
        aria-label="Limit rules (JSON)"
        autosize
        minRows={3}
        maxRows={12}
        styles={{ input: { ...MONO.input, fontSize: 12 } }}
        readOnly={readOnly}
        {...form.getInputProps('limit_rules')}
      />
    </Paper>
  );
}
