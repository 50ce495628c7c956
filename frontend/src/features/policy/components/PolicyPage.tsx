import { Alert, Button, Group, Stack } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { ErrorAlert } from '@/components/ErrorAlert';
import { WithTenant } from '@/components/Guards';
import { PageHeader } from '@/components/PageHeader';
import { QueryState } from '@/components/QueryState';
import { useAuth } from '@/lib/auth';
import { ApiError } from '@/lib/errors';
import { usePolicy, type Policy } from '../api/get-policy';
import { usePutPolicy } from '../api/put-policy';
import { policyProblem, toPolicyBody, toPolicyValues, type PolicyValues } from './policy-form';
import { BureauPullSection, KnockoutRulesSection, LimitRulesSection, ThresholdsSection } from './PolicySections';
import { ruleErrors } from './preview';

function PolicyEditor({ tenant, policy }: { tenant: string; policy: Policy }) {
  const { can } = useAuth();
  const readOnly = !can('policy:manage');
  const save = usePutPolicy(tenant);
  const form = useForm<PolicyValues>({ mode: 'controlled', initialValues: toPolicyValues(policy) });
  const [problem, setProblem] = useState<string | null>(null);

  const submit = () => {
    const found = policyProblem(form.values);
    setProblem(found);
    if (found) return;
    form.clearErrors();
    save.mutate(toPolicyBody(form.values), {
      onSuccess: (p) => notifications.show({ color: 'teal', message: `Policy saved as version ${p.version}` }),
      onError: (err) => {
        // A rule that does not compile is refused with its error on that rule's field.
        if (!(err instanceof ApiError)) return;
        const errors = Object.entries(ruleErrors(err.fields)).map(([path, message]) => [`knockout_rules.${path}`, message]);
        form.setErrors(Object.fromEntries(errors));
      },
    });
  };

  const sections = { form, readOnly };
  return (
    <Stack gap="md">
      <ThresholdsSection {...sections} tenant={tenant} version={policy.version} />
      <KnockoutRulesSection {...sections} />
      <BureauPullSection {...sections} saved={policy.bureau_pull?.bureaus ?? null} />
      <LimitRulesSection {...sections} />
      {problem && (
        <Alert color="red" variant="light" role="alert">
          {problem}
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
