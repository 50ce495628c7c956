// A channel's provider settings as the page edits them, and back into the body of PUT …/channels/{channel}:
// only that channel's fields, and a secret only when one was typed (empty keeps the stored one).
import type { ChannelName, ChannelSettings, ChannelSettingsWrite } from '../api/channel-settings';

export type FieldName = Exclude<keyof ChannelSettingsWrite, SecretName>;
export type SecretName = 'api_token' | 'webhook_secret' | 'access_token' | 'app_secret' | 'verify_token' | 'password';

export interface FieldSpec {
  name: FieldName;
  label: string;
  kind: 'text' | 'number' | 'switch' | 'select' | 'pem';
  description?: string;
  options?: { value: string; label: string }[];
  placeholder?: string;
}

const EXOTEL = (voice: boolean): FieldSpec[] => [
  { name: 'base_url', label: 'API base URL', kind: 'text', placeholder: 'https://api.exotel.com' },
  { name: 'account_sid', label: 'Account SID', kind: 'text' },
  { name: 'api_key', label: 'API key', kind: 'text', description: 'Not a secret: the user name of the API' },
  ...(voice
    ? ([
        { name: 'caller_id', label: 'Caller id', kind: 'text', description: 'The number borrowers see, e.g. +918047100100' },
      ] as FieldSpec[])
    : ([
        { name: 'sender', label: 'Sender (header)', kind: 'text', description: 'The 6-character header registered on DLT' },
        { name: 'entity_id', label: 'DLT entity id', kind: 'text', description: 'Your principal entity id on the DLT registry' },
        {
          name: 'sms_type',
          label: 'SMS type',
          kind: 'select',
          options: [
            { value: 'transactional', label: 'Transactional' },
            { value: 'transactional_opt_in', label: 'Transactional (opt-in)' },
            { value: 'promotional', label: 'Promotional' },
          ],
        },
      ] as FieldSpec[])),
];

const COMMON: FieldSpec[] = [
  { name: 'timeout_ms', label: 'Timeout (ms)', kind: 'number' },
  { name: 'unit_cost', label: 'Cost per message (₹)', kind: 'text', description: 'Recorded on each message sent' },
];

export const CHANNEL_FIELDS: Record<ChannelName, FieldSpec[]> = {
  sms: [...EXOTEL(false), ...COMMON],
  voice: [...EXOTEL(true), ...COMMON],
  whatsapp: [
    { name: 'base_url', label: 'Graph API base URL', kind: 'text', placeholder: 'https://graph.facebook.com' },
    { name: 'phone_number_id', label: 'Phone number id', kind: 'text' },
    { name: 'api_version', label: 'API version', kind: 'text', placeholder: 'v21.0' },
    ...COMMON,
  ],
  email: [
    { name: 'host', label: 'SMTP host', kind: 'text' },
    { name: 'port', label: 'Port', kind: 'number' },
    { name: 'starttls', label: 'STARTTLS', kind: 'switch', description: 'Encrypt the connection before signing in' },
    { name: 'username', label: 'User name', kind: 'text' },
    { name: 'from_address', label: 'From address', kind: 'text' },
    { name: 'from_name', label: 'From name', kind: 'text' },
    {
      name: 'tls_ca_pem',
      label: 'Private CA (PEM, optional)',
      kind: 'pem',
      description: 'Only for a server whose certificate a private CA signed',
    },
    ...COMMON,
  ],
};

export const CHANNEL_SECRETS: Record<ChannelName, SecretName[]> = {
  sms: ['api_token', 'webhook_secret'],
  voice: ['api_token', 'webhook_secret'],
  whatsapp: ['access_token', 'app_secret', 'verify_token'],
  email: ['password'],
};

export const SECRET_LABELS: Record<SecretName, string> = {
  api_token: 'API token',
  webhook_secret: 'Webhook signing secret',
  access_token: 'Access token',
  app_secret: 'App secret',
  verify_token: 'Webhook verify token',
  password: 'Password',
};

export interface ChannelValues {
  fields: Partial<Record<FieldName, string | number | boolean>>;
  secrets: Partial<Record<SecretName, string>>;
}

/** "••••••1a2b" (however the server dots it) as "•••• 1a2b"; null when the secret is not set. */
export function redacted(value: string | null | undefined): string | null {
  if (!value) return null;
  const tail = value.replace(/^[•*·.\s]+/, '');
  return tail ? `•••• ${tail.slice(-4)}` : '••••';
}

export function toChannelValues(settings: ChannelSettings): ChannelValues {
  const fields: ChannelValues['fields'] = {};
  for (const f of CHANNEL_FIELDS[settings.channel]) {
    const value = settings[f.name as keyof ChannelSettings] as string | number | boolean | null | undefined;
    fields[f.name] = f.kind === 'switch' ? (value ?? true) : (value ?? '');
  }
  return { fields, secrets: Object.fromEntries(CHANNEL_SECRETS[settings.channel].map((s) => [s, ''])) };
}

/** The PUT body: the channel's own fields (empty → null, numbers as numbers) and only the secrets typed. */
export function toChannelBody(channel: ChannelName, values: ChannelValues): ChannelSettingsWrite {
  const body: Record<string, unknown> = {};
  for (const f of CHANNEL_FIELDS[channel]) {
    const value = values.fields[f.name];
    if (f.kind === 'switch') body[f.name] = Boolean(value);
    else if (value === '' || value === undefined || value === null) body[f.name] = null;
    else if (f.kind === 'number') body[f.name] = Number(value);
    else body[f.name] = typeof value === 'string' ? value.trim() || null : value;
  }
  for (const s of CHANNEL_SECRETS[channel]) {
    const typed = values.secrets[s];
    if (typed) body[s] = typed;
  }
  return body as ChannelSettingsWrite;
}
