import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Checkbox,
  Grid,
  Group,
  NumberInput,
  Paper,
  Progress,
  Radio,
  Select,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
  Tooltip,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { ErrorAlert } from '@/components/ErrorAlert';
import { WithTenant } from '@/components/Guards';
import { PageHeader } from '@/components/PageHeader';
import { QueryState } from '@/components/QueryState';
import { useAuth } from '@/lib/auth';
import { ApiError, errorMessage } from '@/lib/errors';
import { formatNumber, formatPercent } from '@/lib/format';
import { usePolicy, type Policy } from '../api/get-policy';
import { usePutPolicy, type PolicyWrite } from '../api/put-policy';
import { usePolicyPreview } from '../api/preview-policy';
import { ruleErrors } from './preview';

type Rule = NonNullable<Policy['knockout_rules']>[number];

function ApprovalPreview({ tenant, approve, reject }: { tenant: string; approve: number; reject: number }) {
  const [debounced] = useDebouncedValue({ approve, reject }, 300);
  const preview = usePolicyPreview(tenant, debounced.approve, debounced.reject);
  if (!(approve < reject))
    return (
      <Text size="sm" c="red">
        “Approve below” must be lower than “reject at or above”.
      </Text>
    );
  if (preview.isPending)
    return (
      <Text size="sm" c="dimmed">
        Previewing on the last 12 months of decisions…
      </Text>
    );
  if (preview.isError)
    return (
      <Text size="sm" c="dimmed">
        No preview: {errorMessage(preview.error)}
      </Text>
    );
  const p = preview.data;
  if (p.applications === 0)
    return (
      <Text size="sm" c="dimmed">
        No decisions in the last {p.window_months} months to preview these thresholds on.
      </Text>
    );
  return (
    <Stack gap={6} data-testid="approval-preview">
      <Text size="sm">
        On the <b>{formatNumber(p.applications)}</b> decisions of the last {p.window_months} months{p.capped ? ' (the latest only)' : ''},
        these thresholds would approve <b>{formatPercent(p.approve_rate)}</b>, refer <b>{formatPercent(p.review_rate)}</b> to review and
        reject <b>{formatPercent(p.reject_rate)}</b> — with the knock-out rules as they fired on each decision.
      </Text>
      <Text size="xs" c="dimmed" data-testid="approval-preview-current">
        Approved as decided: {formatPercent(p.current_approve_rate)} — the approval rate Monitoring and Portfolio show for the same months.{' '}
        {formatNumber(p.knocked_out)} decisions were stopped or referred by a knock-out rule and keep that outcome
        {p.kept_as_decided > 0
          ? `; ${formatNumber(p.kept_as_decided)} the current thresholds do not explain (an earlier policy version, or no bureau answer) count as decided`
          : ''}
        .
      </Text>
      <Progress.Root size={18} aria-label="Decision mix preview">
        <Progress.Section value={p.approve_rate * 100} color="teal">
          <Progress.Label>Approve</Progress.Label>
        </Progress.Section>
        <Progress.Section value={p.review_rate * 100} color="yellow">
          <Progress.Label>Review</Progress.Label>
        </Progress.Section>
        <Progress.Section value={p.reject_rate * 100} color="red">
          <Progress.Label>Reject</Progress.Label>
        </Progress.Section>
      </Progress.Root>
    </Stack>
  );
}

function PolicyEditor({ tenant, policy }: { tenant: string; policy: Policy }) {
  const { can } = useAuth();
  const readOnly = !can('policy:manage');
  const save = usePutPolicy(tenant);
  const [approve, setApprove] = useState<number>(policy.approve_below_pd);
  const [reject, setReject] = useState<number>(policy.reject_at_or_above_pd);
  const [lgd, setLgd] = useState<number>(policy.lgd);
  const [rules, setRules] = useState<Rule[]>(policy.knockout_rules ?? []);
  const [limitRules, setLimitRules] = useState(JSON.stringify(policy.limit_rules ?? {}, null, 2));
  const [pullListed, setPullListed] = useState<string[] | null>(policy.bureau_pull?.bureaus ?? null);
  const [minImpact, setMinImpact] = useState<number>(policy.adverse_reason_min_impact ?? 0.1);
  const [localError, setLocalError] = useState<string | null>(null);
  const errors = save.error instanceof ApiError ? ruleErrors(save.error.fields) : {};

  const setRule = (i: number, patch: Partial<Rule>) => setRules((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));

  const submit = () => {
    if (!(approve < reject)) return setLocalError('“Approve below” must be lower than “reject at or above”');
    let limits: unknown;
    try {
      limits = JSON.parse(limitRules || '{}');
    } catch {
      return setLocalError('Limit rules are not valid JSON');
    }
    if (pullListed !== null && pullListed.length === 0)
      return setLocalError('Choose at least one bureau to pull, or “every enabled bureau”');
    const empty = rules.findIndex((r) => !r.name.trim() || !r.when.trim() || !r.reason.trim());
    if (empty >= 0) return setLocalError(`Rule ${empty + 1} needs a name, a condition and a reason`);
    setLocalError(null);
    const body = {
      approve_below_pd: approve,
      reject_at_or_above_pd: reject,
      lgd,
      knockout_rules: rules,
      limit_rules: limits,
      bureau_pull: { bureaus: pullListed },
      adverse_reason_min_impact: minImpact,
    } as PolicyWrite;
    save.mutate(body, { onSuccess: (p) => notifications.show({ color: 'teal', message: `Policy saved as version ${p.version}` }) });
  };

  return (
    <Stack gap="md">
      <Paper withBorder p="md" radius="md">
        <Group justify="space-between" mb="sm">
          <Title order={2} size="h4">
            Thresholds
          </Title>
          <Badge variant="light">version {policy.version}</Badge>
        </Group>
        <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="sm">
          <NumberInput
            label="Approve when PD is below"
            min={0}
            max={1}
            step={0.01}
            decimalScale={3}
            value={approve}
            onChange={(v) => setApprove(Number(v))}
            readOnly={readOnly}
          />
          <NumberInput
            label="Reject when PD is at or above"
            min={0}
            max={1}
            step={0.01}
            decimalScale={3}
            value={reject}
            onChange={(v) => setReject(Number(v))}
            readOnly={readOnly}
          />
          <NumberInput
            label="Loss given default (LGD)"
            min={0}
            max={1}
            step={0.05}
            decimalScale={2}
            value={lgd}
            onChange={(v) => setLgd(Number(v))}
            readOnly={readOnly}
          />
        </SimpleGrid>
        <Text size="xs" c="dimmed" mt={4}>
          Between the two thresholds an application is referred for review. Expected loss = PD × exposure × LGD.
        </Text>
        <Paper bg="gray.0" p="sm" radius="md" mt="md" data-testid="approval-preview-panel">
          <ApprovalPreview tenant={tenant} approve={approve} reject={reject} />
        </Paper>
      </Paper>
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
              onClick={() => setRules((r) => [...r, { name: '', when: '', outcome: 'Reject', reason: '' }])}
            >
              Add rule
            </Button>
          )}
        </Group>
        <Text size="xs" c="dimmed" mb="sm">
          Checked before the model, in order. Conditions are ZEN expressions over the applicant&apos;s features, e.g.{' '}
          <code>age &lt; 21</code> or <code>foir &gt; 0.65</code>.
        </Text>
        <Stack gap="sm">
          {rules.length === 0 && (
            <Text size="sm" c="dimmed">
              No knock-out rules.
            </Text>
          )}
          {rules.map((r, i) => (
            <Paper key={i} withBorder p="sm" radius="md" data-testid={`rule-${i}`}>
              <Grid gutter="xs">
                <Grid.Col span={{ base: 12, sm: 6, lg: 3 }}>
                  <TextInput
                    label="Name"
                    value={r.name}
                    onChange={(e) => setRule(i, { name: e.currentTarget.value })}
                    readOnly={readOnly}
                  />
                </Grid.Col>
                <Grid.Col span={{ base: 12, sm: 6, lg: 4 }}>
                  <TextInput
                    label="When (ZEN expression)"
                    value={r.when}
                    onChange={(e) => setRule(i, { when: e.currentTarget.value })}
                    error={errors[`${i}.when`]}
                    styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
                    readOnly={readOnly}
                  />
                </Grid.Col>
                <Grid.Col span={{ base: 12, sm: 4, lg: 2 }}>
                  <Select
                    label="Outcome"
                    data={['Reject', 'Review']}
                    value={r.outcome}
                    onChange={(v) => setRule(i, { outcome: (v ?? 'Reject') as Rule['outcome'] })}
                    allowDeselect={false}
                    readOnly={readOnly}
                  />
                </Grid.Col>
                <Grid.Col span={{ base: 12, sm: 8, lg: 3 }}>
                  <Group gap="xs" align="flex-end" wrap="nowrap">
                    <TextInput
                      label="Reason"
                      value={r.reason}
                      onChange={(e) => setRule(i, { reason: e.currentTarget.value })}
                      style={{ flex: 1 }}
                      readOnly={readOnly}
                      error={errors[`${i}.reason`]}
                    />
                    {!readOnly && (
                      <Tooltip label="Remove rule">
                        <ActionIcon
                          variant="subtle"
                          color="red"
                          size="lg"
                          aria-label={`Remove rule ${r.name || i + 1}`}
                          onClick={() => setRules((rs) => rs.filter((_, j) => j !== i))}
                        >
                          <IconTrash size={16} />
                        </ActionIcon>
                      </Tooltip>
                    )}
                  </Group>
                </Grid.Col>
              </Grid>
            </Paper>
          ))}
        </Stack>
      </Paper>
      <Paper withBorder p="md" radius="md" data-testid="bureau-pull-rule">
        <Title order={2} size="h4" mb="xs">
          Bureau pulls and reasons
        </Title>
        <Radio.Group
          label="Pull bureau reports for every applicant with a PAN from"
          value={pullListed === null ? 'enabled' : 'listed'}
          onChange={(v) => setPullListed(v === 'enabled' ? null : (policy.bureau_pull?.bureaus ?? ['cibil', 'experian', 'crif']))}
        >
          <Stack gap={6} mt={6}>
            <Radio value="enabled" label="Every bureau switched on under Bureaus" disabled={readOnly} />
            <Radio value="listed" label="Only these bureaus" disabled={readOnly} />
          </Stack>
        </Radio.Group>
        {pullListed !== null && (
          <Checkbox.Group value={pullListed} onChange={setPullListed} aria-label="Bureaus the policy pulls" mt="xs">
            <Group gap="md">
              {['cibil', 'experian', 'crif'].map((b) => (
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
          value={minImpact}
          onChange={(v) => setMinImpact(Number(v))}
          readOnly={readOnly}
        />
      </Paper>
      <Paper withBorder p="md" radius="md">
        <Title order={2} size="h4" mb="xs">
          Limit rules
        </Title>
        <Textarea
          aria-label="Limit rules (JSON)"
          autosize
          minRows={3}
          maxRows={12}
          value={limitRules}
          onChange={(e) => setLimitRules(e.currentTarget.value)}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } }}
          readOnly={readOnly}
        />
      </Paper>
      {localError && (
        <Alert color="red" variant="light" role="alert">
          {localError}
        </Alert>
      )}
      {save.isError && <ErrorAlert error={save.error} title="The policy was not saved" />}
      {!readOnly && (
        <Group justify="flex-end">
          <Button onClick={submit} loading={save.isPending}>
            Save as new version
          </Button>
        </Group>
      )}
    </Stack>
  );
}

function TenantPolicy({ tenant }: { tenant: string }) {
  const policy = usePolicy(tenant);
  return (
    <>
      <PageHeader
        title="Policy"
        description="How a PD becomes a decision: thresholds, knock-out rules and limits. Every save is a new, audited version; decisions record the version they used."
      />
      <QueryState query={policy} feature="Policy">
        {(data) => <PolicyEditor key={data.version} tenant={tenant} policy={data} />}
      </QueryState>
    </>
  );
}

export default function PolicyPage() {
  return <WithTenant>{(tenant) => <TenantPolicy tenant={tenant} />}</WithTenant>;
}
