import { Alert, Button, Grid, Group, Stack, Tabs } from '@mantine/core';
import { useForm } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { IconForms, IconJson, IconGauge } from '@tabler/icons-react';
import { useEffect, useRef, useState } from 'react';
import { DecisionResult } from '@/components/decision/DecisionResult';
import { ErrorAlert } from '@/components/ErrorAlert';
import { WithTenant } from '@/components/Guards';
import { PageHeader } from '@/components/PageHeader';
import { NotAvailable } from '@/components/StatusPanels';
import { useAuth } from '@/lib/auth';
import { ApiError } from '@/lib/errors';
import { useCreateApplication } from '../api/create-application';
import {
  EMPTY_VALUES,
  serverFieldErrors,
  toApplicationBody,
  validateApplication,
  idempotencyKey,
  type FormValues,
} from './application-form';
import { AltDataSection, ApplicantSection, BureauSection, LoanSection } from './ApplicationSections';
import { JsonImport } from './JsonImport';

/** The decision of the last submission, why there is none, or what to do first. */
function ScoreResult({ score }: { score: ReturnType<typeof useCreateApplication> }) {
  if (score.error instanceof ApiError && score.error.routeMissing) return <NotAvailable feature="Scoring" />;
  if (score.isError) return <ErrorAlert error={score.error} title="The application was not scored" />;
  if (score.data) return <DecisionResult decision={score.data} />;
  return (
    <Alert variant="light" color="gray" title="No decision yet">
      Fill in the application (or load a JSON file) and press <b>Score application</b>. The decision, score, reasons and the factors behind
      them appear here.
    </Alert>
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
                  <ApplicantSection form={form} />
                  <LoanSection form={form} />
                  <BureauSection form={form} mayChooseBureaus={mayChooseBureaus} />
                  <AltDataSection form={form} />
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
          <ScoreResult score={score} />
        </Grid.Col>
      </Grid>
    </>
  );
}

export default function ScorePage() {
  return <WithTenant>{(tenant) => <Score tenant={tenant} />}</WithTenant>;
}
