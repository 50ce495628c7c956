import {
  Alert,
  Button,
  Checkbox,
  Grid,
  Group,
  NumberInput,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Tabs,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { IconForms, IconJson, IconGauge } from '@tabler/icons-react';
import { useEffect, useRef, useState } from 'react';
import { DateInput } from '@/components/DateInput';
import { DecisionResult } from '@/components/decision/DecisionResult';
import { ErrorAlert } from '@/components/ErrorAlert';
import { WithTenant } from '@/components/Guards';
import { PageHeader } from '@/components/PageHeader';
import { MoneyInput } from '@/components/MoneyInput';
import { NotAvailable } from '@/components/StatusPanels';
import { useAuth } from '@/lib/auth';
import { ApiError } from '@/lib/errors';
import { humanize } from '@/lib/format';
import { useCreateApplication } from '../api/create-application';
import {
  BUREAUS,
  EMPLOYMENT_TYPES,
  EMPTY_VALUES,
  PURPOSES,
  RESIDENCE_TYPES,
  serverFieldErrors,
  toApplicationBody,
  validateApplication,
  idempotencyKey,
  type FormValues,
} from './application-form';
import { JsonImport } from './JsonImport';

const opts = (xs: readonly string[]) => xs.map((x) => ({ value: x, label: humanize(x) }));

function FormSection({ title, children, hint }: { title: string; hint?: string; children: React.ReactNode }) {
  return (
    <Paper withBorder p="md" radius="md" component="fieldset" style={{ border: undefined, margin: 0, minWidth: 0 }}>
      <Title order={2} size="h5" component="legend" px={4}>
        {title}
      </Title>
      {hint && (
        <Text size="xs" c="dimmed" mb="xs">
          {hint}
        </Text>
      )}
      {children}
    </Paper>
  );
}

function newKey(): string {
  return typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

function Score({ tenant }: { tenant: string }) {
  const score = useCreateApplication(tenant);
  const { can } = useAuth();
  const mayChooseBureaus = can('applications:choose_bureaus');
  const [tab, setTab] = useState<string | null>('form');
  const resultRef = useRef<HTMLDivElement>(null);
  // A double click (or a retry after a network error) replays the same request; a new body, or a
  // new submission after a decision, gets a new idempotency key.
  const [nonce, setNonce] = useState(newKey);
  const form = useForm<FormValues>({
    initialValues: EMPTY_VALUES,
    validate: (values) => validateApplication(values),
    validateInputOnBlur: true,
  });

  useEffect(() => {
    if (score.data) resultRef.current?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  }, [score.data]);

  const submit = form.onSubmit(
    (values) => {
      const body = toApplicationBody(values);
      score.mutate(
        { body, idempotencyKey: idempotencyKey(nonce, body) },
        {
          onSuccess: () => setNonce(newKey()),
          onError: (err) => {
            if (err instanceof ApiError && err.fields.length) form.setErrors(serverFieldErrors(err.fields));
          },
        },
      );
    },
    () => notifications.show({ color: 'red', message: 'Some fields need attention before scoring' }),
  );

  const ntc = form.values.new_to_credit;
  const missingRoute = score.error instanceof ApiError && score.error.routeMissing;

  return (
    <>
      <PageHeader title="Score an application" description="Decision, score and reasons in about a second. Fields marked * are required." />
      <Grid gutter="lg">
        <Grid.Col span={{ base: 12, lg: 6 }}>
          <Tabs value={tab} onChange={setTab} keepMounted={false}>
            <Tabs.List mb="sm">
              <Tabs.Tab value="form" leftSection={<IconForms size={16} />}>
                Form
              </Tabs.Tab>
              <Tabs.Tab value="json" leftSection={<IconJson size={16} />}>
                Paste or upload JSON
              </Tabs.Tab>
            </Tabs.List>
            <Tabs.Panel value="json">
              <JsonImport
                onLoad={(values, source) => {
                  form.setValues(values);
                  form.resetDirty(values);
                  setTab('form');
                  const errors = validateApplication(values);
                  form.setErrors(errors);
                  notifications.show({
                    color: Object.keys(errors).length ? 'orange' : 'teal',
                    message: Object.keys(errors).length
                      ? `Loaded ${source}; ${Object.keys(errors).length} field(s) need attention`
                      : `Loaded ${source}. Review and press Score.`,
                  });
                }}
              />
            </Tabs.Panel>
            <Tabs.Panel value="form">
              <form onSubmit={submit} noValidate aria-label="Application">
                <Stack gap="md">
                  <FormSection title="Applicant">
                    <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
                      <TextInput label="Full name" required autoComplete="off" {...form.getInputProps('applicant.name')} />
                      <TextInput
                        label="PAN"
                        required
                        placeholder="ABCPV1234K"
                        maxLength={10}
                        styles={{ input: { textTransform: 'uppercase' } }}
                        {...form.getInputProps('applicant.pan')}
                      />
                      <DateInput label="Date of birth" required {...form.getInputProps('applicant.date_of_birth')} />
                      <TextInput label="Mobile" type="tel" placeholder="+919812345678" {...form.getInputProps('applicant.phone')} />
                      <TextInput label="E-mail" type="email" {...form.getInputProps('applicant.email')} />
                      <Select
                        label="Employment"
                        data={opts(EMPLOYMENT_TYPES)}
                        allowDeselect={false}
                        {...form.getInputProps('applicant.employment_type')}
                      />
                      <NumberInput label="Years employed" min={0} max={60} {...form.getInputProps('applicant.employment_years')} />
                      <MoneyInput label="Monthly income" required {...form.getInputProps('applicant.monthly_income')} />
                      <MoneyInput label="Existing EMIs (per month)" {...form.getInputProps('applicant.existing_emi')} />
                      <Select label="Residence" data={opts(RESIDENCE_TYPES)} {...form.getInputProps('applicant.residence_type')} />
                      <Select label="City tier" data={['1', '2', '3']} {...form.getInputProps('applicant.city_tier')} />
                      <TextInput label="State" {...form.getInputProps('applicant.state')} />
                    </SimpleGrid>
                  </FormSection>
                  <FormSection title="Loan">
                    <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
                      <MoneyInput label="Amount" required {...form.getInputProps('loan.amount')} />
                      <NumberInput label="Tenure (months)" required min={1} max={360} {...form.getInputProps('loan.tenure_months')} />
                      <NumberInput
                        label="Interest rate (% p.a.)"
                        required
                        min={0}
                        max={60}
                        decimalScale={2}
                        {...form.getInputProps('loan.interest_rate')}
                      />
                      <Select label="Purpose" data={opts(PURPOSES)} allowDeselect={false} {...form.getInputProps('loan.purpose')} />
                      <TextInput label="External reference" placeholder="LOS-000123" {...form.getInputProps('external_ref')} />
                    </SimpleGrid>
                  </FormSection>
                  <FormSection
                    title="Credit bureau"
                    hint="Reports are pulled by PAN from the bureaus your credit policy names (by default every bureau the lender has switched on). Pulled values replace any you enter; the decision shows what it used."
                  >
                    {mayChooseBureaus && (
                      <Stack gap={6} mb="sm">
                        <Switch
                          label="Choose bureaus for this application"
                          description="Narrows the policy's pull for this one application (recorded with the decision)"
                          {...form.getInputProps('choose_bureaus', { type: 'checkbox' })}
                        />
                        {form.values.choose_bureaus && (
                          <Checkbox.Group aria-label="Bureaus to pull" {...form.getInputProps('pull_bureaus')}>
                            <Group gap="md" mt={4} data-testid="choose-bureaus">
                              {BUREAUS.map((b) => (
                                <Checkbox key={b} value={b} label={b.toUpperCase()} />
                              ))}
                            </Group>
                          </Checkbox.Group>
                        )}
                      </Stack>
                    )}
                    <Switch
                      label="No bureau values to enter"
                      description="Hides the fields below; reports are still pulled as the policy says"
                      mb="sm"
                      {...form.getInputProps('new_to_credit', { type: 'checkbox' })}
                    />
                    {!ntc && (
                      <Stack gap="sm" data-testid="bureau-fields">
                        <Text size="xs" c="dimmed">
                          Optional: values from a report you already hold (used where a pulled report has none).
                        </Text>
                        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
                          <NumberInput label="Bureau score" min={300} max={900} {...form.getInputProps('bureau.score')} />
                          <NumberInput
                            label="Utilisation (0–1)"
                            min={0}
                            max={5}
                            step={0.05}
                            decimalScale={3}
                            {...form.getInputProps('bureau.utilization')}
                          />
                          <NumberInput label="30+ DPD, last 12 months" min={0} {...form.getInputProps('bureau.dpd_30_last_12m')} />
                          <NumberInput label="Max DPD, last 24 months" min={0} {...form.getInputProps('bureau.max_dpd_last_24m')} />
                          <NumberInput label="Enquiries, last 6 months" min={0} {...form.getInputProps('bureau.enquiries_last_6m')} />
                          <NumberInput label="Credit history (months)" min={0} {...form.getInputProps('bureau.credit_history_months')} />
                          <NumberInput label="Active accounts" min={0} {...form.getInputProps('bureau.active_accounts')} />
                        </SimpleGrid>
                      </Stack>
                    )}
                  </FormSection>
                  <FormSection
                    title="Alternative data"
                    hint="Bank-statement and UPI aggregates; optional, most useful for new-to-credit applicants."
                  >
                    <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
                      <MoneyInput label="Average monthly inflow" {...form.getInputProps('alt_data.avg_monthly_inflow')} />
                      <NumberInput
                        label="Inflow regularity (0–1)"
                        min={0}
                        max={1}
                        step={0.05}
                        decimalScale={2}
                        {...form.getInputProps('alt_data.inflow_regularity')}
                      />
                      <NumberInput label="Bounced EMIs, last 6 months" min={0} {...form.getInputProps('alt_data.bounced_emis_last_6m')} />
                      <NumberInput label="UPI transactions / month" min={0} {...form.getInputProps('alt_data.upi_txn_per_month')} />
                    </SimpleGrid>
                  </FormSection>
                  <Group justify="space-between">
                    <Button
                      variant="subtle"
                      onClick={() => {
                        form.reset();
                        score.reset();
                      }}
                    >
                      Clear
                    </Button>
                    <Button type="submit" size="md" leftSection={<IconGauge size={18} />} loading={score.isPending}>
                      Score application
                    </Button>
                  </Group>
                </Stack>
              </form>
            </Tabs.Panel>
          </Tabs>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 6 }} ref={resultRef}>
          {missingRoute ? (
            <NotAvailable feature="Scoring" />
          ) : score.isError ? (
            <ErrorAlert error={score.error} title="The application was not scored" />
          ) : score.data ? (
            <DecisionResult decision={score.data} />
          ) : (
            <Alert variant="light" color="gray" title="No decision yet">
              Fill in the application (or load a JSON file) and press <b>Score application</b>. The decision, score, reasons and the factors
              behind them appear here.
            </Alert>
          )}
        </Grid.Col>
      </Grid>
    </>
  );
}

export default function ScorePage() {
  return <WithTenant>{(tenant) => <Score tenant={tenant} />}</WithTenant>;
}
