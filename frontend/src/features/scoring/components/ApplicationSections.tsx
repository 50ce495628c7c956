// The scoring form's sections; each edits its part of the one application form.
import { Checkbox, Group, NumberInput, Paper, Select, SimpleGrid, Stack, Switch, Text, TextInput, Title } from '@mantine/core';
import type { UseFormReturnType } from '@mantine/form';
import type { ReactNode } from 'react';
import { DateInput } from '@/components/DateInput';
import { MoneyInput } from '@/components/MoneyInput';
import { humanize } from '@/lib/format';
import { BUREAUS, CITY_TIER_OPTIONS, EMPLOYMENT_TYPES, PURPOSES, RESIDENCE_TYPES, type FormValues } from './application-form';

type Form = UseFormReturnType<FormValues>;

const opts = (xs: readonly string[]) => xs.map((x) => ({ value: x, label: humanize(x) }));

function FormSection({ title, children, hint }: { title: string; hint?: string; children: ReactNode }) {
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

export function ApplicantSection({ form }: { form: Form }) {
  return (
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
        <Select label="City tier" data={CITY_TIER_OPTIONS} {...form.getInputProps('applicant.city_tier')} />
        <TextInput label="State" {...form.getInputProps('applicant.state')} />
      </SimpleGrid>
    </FormSection>
  );
}

export function LoanSection({ form }: { form: Form }) {
  return (
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
  );
}

/** Which bureaus to pull (for users who may choose) and the values of a report the user already holds. */
export function BureauSection({ form, mayChooseBureaus }: { form: Form; mayChooseBureaus: boolean }) {
  return (
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
      {!form.values.new_to_credit && (
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
  );
}

export function AltDataSection({ form }: { form: Form }) {
  return (
    <FormSection title="Alternative data" hint="Bank-statement and UPI aggregates; optional, most useful for new-to-credit applicants.">
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
  );
}
