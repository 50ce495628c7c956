// The contact policy as the page edits it, and back into the body of PUT …/contact-policy.
import { randomId } from '@mantine/hooks';
import type { ContactPolicy } from '../api/get-contact-policy';
import type { ContactPolicyWrite } from '../api/put-contact-policy';

export const CHANNELS = ['sms', 'whatsapp', 'email', 'voice'] as const;
export type Channel = (typeof CHANNELS)[number];

export const CHANNEL_LABELS: Record<Channel, string> = { sms: 'SMS', whatsapp: 'WhatsApp', email: 'E-mail', voice: 'Voice call' };

export interface BlackoutRow {
  /** only for React's list keys; never sent */
  key: string;
  date: string;
  reason: string;
  region: string;
}

export interface ContactPolicyValues {
  window_start: string;
  window_end: string;
  caps: Record<Channel, { per_day: number; per_week: number }>;
  blackout_dates: BlackoutRow[];
  whatsapp_collections_enabled: boolean;
}

export const emptyBlackout = (): BlackoutRow => ({ key: randomId(), date: '', reason: '', region: '' });

export function toValues(policy: ContactPolicy): ContactPolicyValues {
  return {
    window_start: policy.window_start,
    window_end: policy.window_end,
    caps: Object.fromEntries(
      CHANNELS.map((c) => [c, { per_day: policy.caps[c].per_day, per_week: policy.caps[c].per_week }]),
    ) as ContactPolicyValues['caps'],
    blackout_dates: policy.blackout_dates.map((b) => ({ key: randomId(), date: b.date, reason: b.reason, region: b.region ?? '' })),
    whatsapp_collections_enabled: policy.whatsapp_collections_enabled,
  };
}

/** The whole policy as PUT takes it: the version read, and the acknowledgement only when the user gave it. */
export function toBody(values: ContactPolicyValues, policy: ContactPolicy, acknowledged: boolean): ContactPolicyWrite {
  return {
    version: policy.version,
    window_start: values.window_start,
    window_end: values.window_end,
    caps: values.caps,
    blackout_dates: values.blackout_dates.map((b) => ({
      date: b.date,
      reason: b.reason.trim(),
      region: b.region.trim() ? b.region.trim().toUpperCase() : null,
    })),
    whatsapp_collections_enabled: values.whatsapp_collections_enabled,
    borrower_initiated_exemptions: policy.borrower_initiated_exemptions,
    acknowledge_whatsapp_collections_warning: acknowledged && values.whatsapp_collections_enabled,
  };
}

const PURPOSE_WORDS: Record<string, string> = {
  otp: 'A one-time password (OTP) the borrower asked for',
  alert: 'An alert the borrower asked for (a receipt or a statement)',
  reminder: 'A reminder the borrower asked for',
  collections: 'A collections message the borrower asked for',
  offer: 'An offer the borrower asked for',
};

const RULE_WORDS: Record<string, string> = {
  opted_out: 'they opted out of the channel',
  hold: 'contact with them is on hold',
  blackout: 'it is a blackout date',
  contact_window: 'it is outside the contact window',
  borrower_preference: 'it is outside the hours they prefer',
  daily_cap: 'the daily cap is reached',
  weekly_cap: 'the weekly cap is reached',
};

/** Per purpose, in plain words: "A one-time password (OTP) the borrower asked for" is sent even when … */
export function exemptionSentences(
  exemptions: ContactPolicy['borrower_initiated_exemptions'],
): { purpose: string; what: string; when: string[] }[] {
  return Object.entries(exemptions ?? {})
    .filter(([, rules]) => rules.length > 0)
    .map(([purpose, rules]) => ({
      purpose,
      what: PURPOSE_WORDS[purpose] ?? `A ${purpose.replace(/_/g, ' ')} message the borrower asked for`,
      when: rules.map((r) => RULE_WORDS[r] ?? r.replace(/_/g, ' ')),
    }));
}

/** Form paths the page shows a server field error next to; any other field's error goes in the summary. */
export function isShownAtField(path: string): boolean {
  return (
    /^window_(start|end)$/.test(path) ||
    /^caps\.(sms|whatsapp|email|voice)\.per_(day|week)$/.test(path) ||
    /^blackout_dates(\.\d+\.(date|reason|region))?$/.test(path) ||
    path === 'whatsapp_collections_enabled' ||
    path === 'acknowledge_whatsapp_collections_warning' ||
    path.startsWith('borrower_initiated_exemptions')
  );
}
