import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Grid,
  Group,
  List,
  Modal,
  NumberInput,
  Paper,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
  Tooltip,
} from '@mantine/core';
import { useForm, type UseFormReturnType } from '@mantine/form';
import { notifications } from '@mantine/notifications';
import { IconAlertTriangle, IconPlus, IconRefresh, IconTrash } from '@tabler/icons-react';
import { useState, type ReactNode } from 'react';
import { DateInput, isoToIndian } from '@/components/DateInput';
import { ErrorAlert } from '@/components/ErrorAlert';
import { WithTenant } from '@/components/Guards';
import { PageHeader } from '@/components/PageHeader';
import { QueryState } from '@/components/QueryState';
import { useAuth } from '@/lib/auth';
import { ApiError, fieldErrors } from '@/lib/errors';
import { formatDateTime } from '@/lib/format';
import { useContactPolicy, type ContactPolicy } from '../api/get-contact-policy';
import { usePutContactPolicy } from '../api/put-contact-policy';
import {
  CHANNEL_LABELS,
  CHANNELS,
  emptyBlackout,
  exemptionSentences,
  isShownAtField,
  toBody,
  toValues,
  type Channel,
  type ContactPolicyValues,
} from './contact-policy-form';

type Form = UseFormReturnType<ContactPolicyValues>;

interface SectionProps {
  form: Form;
  readOnly: boolean;
  policy: ContactPolicy;
}

function Section({ title, children, aside }: { title: string; children: ReactNode; aside?: ReactNode }) {
  return (
    <Paper withBorder p="md" radius="md">
      <Group justify="space-between" mb="xs" gap="xs">
        <Title order={2} size="h4">
          {title}
        </Title>
        {aside}
      </Group>
      {children}
    </Paper>
  );
}

function WindowSection({ form, readOnly, policy }: SectionProps) {
  const { limits } = policy;
  return (
    <Section
      title="Contact window"
      aside={
        <Badge variant="light" color="gray" tt="none" size="lg" data-testid="rbi-window">
          RBI limit {limits.window_start}–{limits.window_end}
        </Badge>
      }
    >
      <Text size="sm" c="dimmed" mb="sm">
        Messages and calls go only inside this window, in each borrower&apos;s own local time. RBI allows recovery contact between{' '}
        {limits.window_start} and {limits.window_end}; you may only narrow it. A send must leave before the end of the window.
      </Text>
      <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm" maw={520}>
        <TextInput
          type="time"
          label="From"
          description={`Not before ${limits.window_start}`}
          readOnly={readOnly}
          {...form.getInputProps('window_start')}
        />
        <TextInput
          type="time"
          label="Until"
          description={`Not after ${limits.window_end}`}
          readOnly={readOnly}
          {...form.getInputProps('window_end')}
        />
      </SimpleGrid>
    </Section>
  );
}

function CapInput({
  form,
  readOnly,
  channel,
  period,
  max,
}: Omit<SectionProps, 'policy'> & { channel: Channel; period: 'per_day' | 'per_week'; max: number | null }) {
  const path = `caps.${channel}.${period}`;
  const label = `${CHANNEL_LABELS[channel]} ${period === 'per_day' ? 'per day' : 'per week'}`;
  return (
    <NumberInput
      aria-label={label}
      min={0}
      allowDecimal={false}
      allowNegative={false}
      readOnly={readOnly}
      hideControls={readOnly}
      w={96}
      {...form.getInputProps(path)}
      onChange={(v) => form.setFieldValue(path, Number(v) || 0)}
      description={max === null ? undefined : `at most ${max}`}
    />
  );
}

/** The one ceiling every channel shares for a period (shown in the column head), or null when they differ. */
function sharedCeiling(policy: ContactPolicy, period: 'per_day' | 'per_week'): number | null {
  const values = new Set(CHANNELS.map((c) => policy.limits.caps[c][period]));
  return values.size === 1 ? [...values][0]! : null;
}

function CeilingHead({ title, ceiling }: { title: string; ceiling: number | null }) {
  return (
    <Table.Th>
      {title}
      {ceiling !== null && (
        <Text size="xs" c="dimmed" fw={400}>
          at most {ceiling}
        </Text>
      )}
    </Table.Th>
  );
}

function CapsSection({ form, readOnly, policy }: SectionProps) {
  const day = sharedCeiling(policy, 'per_day');
  const week = sharedCeiling(policy, 'per_week');
  return (
    <Section title="Caps per channel">
      <Text size="sm" c="dimmed" mb="sm">
        How many messages (or calls) one person may get on each channel in a local day and in seven local days. 0 turns the channel off for
        contact. The ceilings are the most CreditDesk allows.
      </Text>
      <Table.ScrollContainer minWidth={300}>
        <Table verticalSpacing="xs" aria-label="Caps per channel" maw={560}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Channel</Table.Th>
              <CeilingHead title="Per day" ceiling={day} />
              <CeilingHead title="Per week" ceiling={week} />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {CHANNELS.map((channel) => {
              const ceiling = policy.limits.caps[channel];
              return (
                <Table.Tr key={channel} data-testid={`cap-${channel}`}>
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      {CHANNEL_LABELS[channel]}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <CapInput
                      form={form}
                      readOnly={readOnly}
                      channel={channel}
                      period="per_day"
                      max={day === null ? ceiling.per_day : null}
                    />
                  </Table.Td>
                  <Table.Td>
                    <CapInput
                      form={form}
                      readOnly={readOnly}
                      channel={channel}
                      period="per_week"
                      max={week === null ? ceiling.per_week : null}
                    />
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Section>
  );
}

function BlackoutSection({ form, readOnly }: Omit<SectionProps, 'policy'>) {
  const rows = form.values.blackout_dates;
  const listError = form.errors.blackout_dates;
  return (
    <Section
      title="Blackout dates"
      aside={
        !readOnly && (
          <Button
            size="xs"
            variant="light"
            leftSection={<IconPlus size={14} />}
            onClick={() => form.insertListItem('blackout_dates', emptyBlackout())}
          >
            Add date
          </Button>
        )
      }
    >
      <Text size="sm" c="dimmed" mb="sm">
        Days on which nobody is contacted — a festival, a polling day, a local calamity. Give a state code (e.g. MH) to limit a date to
        borrowers in that state.
      </Text>
      {listError && (
        <Text size="sm" c="red" mb="xs" role="alert">
          {listError}
        </Text>
      )}
      {rows.length === 0 ? (
        <Text size="sm" c="dimmed">
          No blackout dates.
        </Text>
      ) : readOnly ? (
        <Table.ScrollContainer minWidth={360}>
          <Table aria-label="Blackout dates">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Date</Table.Th>
                <Table.Th>Reason</Table.Th>
                <Table.Th>Where</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((r) => (
                <Table.Tr key={r.key}>
                  <Table.Td>{isoToIndian(r.date)}</Table.Td>
                  <Table.Td>{r.reason}</Table.Td>
                  <Table.Td>{r.region || 'Every state'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : (
        <Stack gap="xs">
          {rows.map((r, i) => (
            <Paper key={r.key} withBorder p="xs" radius="md" data-testid={`blackout-${i}`}>
              <Grid gutter="xs" align="flex-start">
                <Grid.Col span={{ base: 12, sm: 3 }}>
                  <DateInput label="Date" {...form.getInputProps(`blackout_dates.${i}.date`)} />
                </Grid.Col>
                <Grid.Col span={{ base: 12, sm: 6 }}>
                  <TextInput label="Reason" maxLength={200} {...form.getInputProps(`blackout_dates.${i}.reason`)} />
                </Grid.Col>
                <Grid.Col span={{ base: 12, sm: 3 }}>
                  <Group gap="xs" align="flex-start" wrap="nowrap">
                    <TextInput
                      label="State (optional)"
                      placeholder="All"
                      maxLength={5}
                      style={{ flex: 1 }}
                      {...form.getInputProps(`blackout_dates.${i}.region`)}
                    />
                    <Tooltip label="Remove date">
                      <ActionIcon
                        variant="subtle"
                        color="red"
                        size="lg"
                        mt={25}
                        aria-label={`Remove blackout date ${i + 1}`}
                        onClick={() => form.removeListItem('blackout_dates', i)}
                      >
                        <IconTrash size={16} />
                      </ActionIcon>
                    </Tooltip>
                  </Group>
                </Grid.Col>
              </Grid>
            </Paper>
          ))}
        </Stack>
      )}
    </Section>
  );
}

function WhatsAppSection({ form, readOnly, policy, onAcknowledged }: SectionProps & { onAcknowledged: (yes: boolean) => void }) {
  const [confirming, setConfirming] = useState(false);
  const error = form.errors.acknowledge_whatsapp_collections_warning ?? form.errors.whatsapp_collections_enabled;
  return (
    <Section title="WhatsApp for collections">
      <Switch
        label="Send collections messages on WhatsApp"
        description="Off: WhatsApp carries due-date reminders and OTPs only."
        checked={form.values.whatsapp_collections_enabled}
        disabled={readOnly}
        error={error}
        onChange={(e) => {
          if (e.currentTarget.checked) {
            setConfirming(true);
          } else {
            form.setFieldValue('whatsapp_collections_enabled', false);
            onAcknowledged(false);
          }
        }}
      />
      <Modal opened={confirming} onClose={() => setConfirming(false)} title="Turn on WhatsApp for collections?" centered>
        <Alert color="orange" variant="light" icon={<IconAlertTriangle size={18} />} mb="md">
          <Text size="sm" data-testid="whatsapp-warning">
            {policy.whatsapp_collections_warning}
          </Text>
        </Alert>
        <Text size="sm" mb="md">
          Your acknowledgement is sent with the policy when you save, and recorded in the audit log.
        </Text>
        <Group justify="flex-end" gap="xs">
          <Button variant="default" onClick={() => setConfirming(false)}>
            Keep it off
          </Button>
          <Button
            color="orange"
            onClick={() => {
              form.setFieldValue('whatsapp_collections_enabled', true);
              form.clearFieldError('acknowledge_whatsapp_collections_warning');
              onAcknowledged(true);
              setConfirming(false);
            }}
          >
            I understand, turn it on
          </Button>
        </Group>
      </Modal>
    </Section>
  );
}

function ExemptionsSection({ form, policy }: Pick<SectionProps, 'form' | 'policy'>) {
  const sentences = exemptionSentences(policy.borrower_initiated_exemptions);
  const errors = Object.entries(form.errors).filter(([path]) => path.startsWith('borrower_initiated_exemptions'));
  return (
    <Section title="When the borrower asks">
      <Text size="sm" c="dimmed" mb="xs">
        Only a message the borrower asked for themselves can skip these rules. A system or an agent never does.
      </Text>
      {sentences.length === 0 ? (
        <Text size="sm">No exemptions: every message follows every rule above, even one the borrower asked for.</Text>
      ) : (
        <Stack gap="xs" data-testid="exemptions">
          {sentences.map(({ purpose, what, when }) => (
            <div key={purpose}>
              <Text size="sm" fw={500}>
                {what} is sent even when:
              </Text>
              <List size="sm" spacing={2} mt={2}>
                {when.map((w) => (
                  <List.Item key={w}>{w}</List.Item>
                ))}
              </List>
            </div>
          ))}
        </Stack>
      )}
      {errors.map(([path, message]) => (
        <Text key={path} size="sm" c="red" mt="xs" role="alert">
          {message}
        </Text>
      ))}
    </Section>
  );
}

function ConflictAlert({ onReload, reloading }: { onReload: () => void; reloading: boolean }) {
  return (
    <Alert
      color="orange"
      variant="light"
      title="Someone saved the policy meanwhile — reload to see their change"
      role="alert"
      icon={<IconRefresh size={18} />}
    >
      <Text size="sm">Your changes were not saved. Reload the policy, then make your change again on their version.</Text>
      <Button
        size="xs"
        variant="light"
        color="orange"
        mt="xs"
        onClick={onReload}
        loading={reloading}
        leftSection={<IconRefresh size={14} />}
      >
        Reload the policy
      </Button>
    </Alert>
  );
}

function ContactPolicyEditor({
  tenant,
  policy,
  onReload,
  reloading,
}: {
  tenant: string;
  policy: ContactPolicy;
  onReload: () => void;
  reloading: boolean;
}) {
  const { can } = useAuth();
  const readOnly = !can('channels:configure');
  const save = usePutContactPolicy(tenant);
  const form = useForm<ContactPolicyValues>({ mode: 'controlled', initialValues: toValues(policy) });
  const [acknowledged, setAcknowledged] = useState(false);
  const [unplaced, setUnplaced] = useState<string[]>([]);

  const submit = () => {
    form.clearErrors();
    setUnplaced([]);
    save.mutate(toBody(form.values, policy, acknowledged), {
      onSuccess: (p) => notifications.show({ color: 'teal', message: `Contact policy saved as version ${p.version}` }),
      onError: (err) => {
        const errors = fieldErrors(err);
        form.setErrors(errors);
        setUnplaced(Object.entries(errors).flatMap(([path, message]) => (isShownAtField(path) ? [] : [`${path}: ${message}`])));
      },
    });
  };

  const conflict = save.error instanceof ApiError && save.error.status === 409;
  const invalid = save.error instanceof ApiError && save.error.status === 422 && save.error.fields.length > 0;
  const sections = { form, readOnly, policy };
  return (
    <Stack gap="md">
      {readOnly && (
        <Alert color="blue" variant="light">
          You can read this policy. Only a tenant admin can change it.
        </Alert>
      )}
      <WindowSection {...sections} />
      <CapsSection {...sections} />
      <BlackoutSection form={form} readOnly={readOnly} />
      <WhatsAppSection {...sections} onAcknowledged={setAcknowledged} />
      <ExemptionsSection form={form} policy={policy} />
      {conflict ? (
        <ConflictAlert onReload={onReload} reloading={reloading} />
      ) : invalid ? (
        <Alert color="red" variant="light" title="The policy was not saved" role="alert" icon={<IconAlertTriangle size={18} />}>
          <Text size="sm">Correct the fields marked in red and save again.</Text>
          {unplaced.map((m) => (
            <Text key={m} size="sm">
              {m}
            </Text>
          ))}
        </Alert>
      ) : (
        save.isError && <ErrorAlert error={save.error} title="The policy was not saved" />
      )}
      {!readOnly && (
        <Group justify="flex-end">
          <Button onClick={submit} loading={save.isPending} disabled={conflict}>
            Save policy
          </Button>
        </Group>
      )}
    </Stack>
  );
}

function LastSaved({ policy }: { policy: ContactPolicy }) {
  if (policy.is_default || !policy.updated_at) {
    return <>Nobody has changed it yet: RBI&apos;s window and CreditDesk&apos;s default caps apply.</>;
  }
  return (
    <span data-testid="last-saved">
      Version {policy.version}, saved by {policy.updated_by ?? 'an unknown user'} on {formatDateTime(policy.updated_at)}.
    </span>
  );
}

function TenantContactPolicy({ tenant }: { tenant: string }) {
  const policy = useContactPolicy(tenant);
  return (
    <>
      <PageHeader
        title="Contact policy"
        description={
          <>
            When, how often and on which channel borrowers may be contacted. Every message and call passes this policy; every change is
            audited. {policy.data && <LastSaved policy={policy.data} />}
          </>
        }
        actions={
          policy.data?.is_default && (
            <Badge color="teal" variant="light" size="lg">
              Defaults (RBI)
            </Badge>
          )
        }
      />
      <QueryState query={policy} feature="Contact policy">
        {(data) => (
          <ContactPolicyEditor
            key={data.version}
            tenant={tenant}
            policy={data}
            onReload={() => void policy.refetch()}
            reloading={policy.isFetching}
          />
        )}
      </QueryState>
    </>
  );
}

export default function ContactPolicyPage() {
  return <WithTenant>{(tenant) => <TenantContactPolicy tenant={tenant} />}</WithTenant>;
}
