// The send drawer's logic: which language versions a template may go out in, the request body, and
// an Idempotency-Key that stays the same while the same message is retried.
import { randomId } from '@mantine/hooks';
import type { Template } from '../api/list-templates';
import type { MessageCreate } from '../api/send-message';
import type { ChannelCode, LanguageCode } from './channel-words';
import { languageVersions } from './template-form';

export interface SendValues {
  to: 'loan' | 'borrower';
  id: string;
  channel: ChannelCode | null;
  template: string | null;
  language: LanguageCode | null;
  variables: Record<string, string>;
}

/** The languages a template can go out in: its own, and those of its approved versions in other languages. */
export function sendLanguages(template: Template, approved: readonly Template[]): LanguageCode[] {
  const languages = new Set<string>([template.language, ...languageVersions(template, approved).keys()]);
  return [...languages] as LanguageCode[];
}

export function toMessage(v: SendValues, template: Template): MessageCreate {
  const variables = Object.fromEntries(Object.keys(template.variables).map((name) => [name, (v.variables[name] ?? '').trim()]));
  return {
    ...(v.to === 'loan' ? { loan_id: v.id.trim() } : { borrower_id: v.id.trim() }),
    channel: template.channel as ChannelCode,
    template: template.id,
    variables,
    language: v.language ?? (template.language as LanguageCode),
    recipient_role: 'borrower',
  };
}

const newKey = () => (typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `msg-${randomId()}`);

/**
 * The Idempotency-Key for sending `body`: the same as the last attempt while the body is unchanged (a
 * retry after a lost answer gets the same message back, never a second one), a new one once it changes.
 */
export function idempotencyKey(last: { body: string; key: string } | null, body: MessageCreate): { body: string; key: string } {
  const json = JSON.stringify(body);
  return last && last.body === json ? last : { body: json, key: newKey() };
}

const HINTS: Record<string, string> = {
  amount: 'Amount in rupees, e.g. 12500',
  date: 'A date, e.g. 2026-12-05',
  number: 'A number',
  url: 'A link (https://…)',
  phone: 'A phone number, e.g. 1800 123 4567',
  otp: 'The code',
  text: 'Text',
};

/** What to type for a variable of this type, and how long it may be. */
export function variableHint(spec: { type: string; max_length: number }): string {
  return `${HINTS[spec.type] ?? spec.type} · at most ${spec.max_length} characters`;
}
