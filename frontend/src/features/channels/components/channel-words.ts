// The channels' vocabulary in the lender's words: channel, language, purpose and status labels, and why
// the contact policy blocked a message, in a sentence an analyst or an agent can act on.
import type { Schemas } from '@/client';
import { optionsOf } from '@/lib/enums';

type TemplateCreate = Schemas['TemplateCreate'];
export type ChannelCode = TemplateCreate['channel'];
export type LanguageCode = TemplateCreate['language'];
export type PurposeCode = TemplateCreate['purpose'];
export type ToneCode = NonNullable<TemplateCreate['tone']>;
export type VariableKind = Schemas['VariableSpec']['type'];
export type MessageStatus = Schemas['MessageRead']['status'];

export const CHANNEL_NAMES: Record<ChannelCode, string> = { sms: 'SMS', whatsapp: 'WhatsApp', email: 'E-mail', voice: 'Voice call' };
export const LANGUAGE_NAMES: Record<LanguageCode, string> = {
  en: 'English',
  hi: 'Hindi · हिन्दी',
  mr: 'Marathi · मराठी',
  ta: 'Tamil · தமிழ்',
  te: 'Telugu · తెలుగు',
  bn: 'Bengali · বাংলা',
  kn: 'Kannada · ಕನ್ನಡ',
};
export const PURPOSE_NAMES: Record<PurposeCode, string> = {
  reminder: 'Reminder',
  collections: 'Collections',
  otp: 'One-time password',
  alert: 'Alert',
  offer: 'Offer',
};
export const TONE_NAMES: Record<ToneCode, string> = { formal: 'Formal', empathetic: 'Empathetic', firm: 'Firm' };
export const VARIABLE_KINDS: Record<VariableKind, string> = {
  text: 'Text',
  amount: 'Amount (₹)',
  date: 'Date',
  number: 'Number',
  url: 'Link',
  phone: 'Phone',
  otp: 'OTP',
};
export const STATUS_NAMES: Record<MessageStatus, string> = {
  queued: 'Queued',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Failed',
  blocked: 'Blocked',
};

export const CHANNEL_OPTIONS = optionsOf(CHANNEL_NAMES);
export const LANGUAGE_OPTIONS = optionsOf(LANGUAGE_NAMES);
export const PURPOSE_OPTIONS = optionsOf(PURPOSE_NAMES);
export const TONE_OPTIONS = optionsOf(TONE_NAMES);
export const STATUS_OPTIONS = optionsOf(STATUS_NAMES);

const STATUS_COLORS: Record<string, string> = {
  queued: 'gray',
  sent: 'blue',
  delivered: 'teal',
  read: 'green',
  failed: 'red',
  blocked: 'orange',
  draft: 'yellow',
  approved: 'teal',
  retired: 'gray',
};

/** A message's or a template's status as a badge colour. */
export function statusColor(status: string): string {
  return STATUS_COLORS[status] ?? 'gray';
}

export const label = <K extends string>(names: Record<K, string>, code: string): string =>
  (names as Record<string, string>)[code] ?? code.replace(/_/g, ' ');

/** The contact window a blocked message is explained with; RBI's by default. */
export interface ContactWindow {
  start: string;
  end: string;
}
const RBI_WINDOW: ContactWindow = { start: '08:00', end: '19:00' };

/** Why the contact policy kept a message from going out, in words ("Outside the contact window (08:00–19:00 borrower-local)"). */
export function blockedReason(rule: string | null | undefined, window: ContactWindow = RBI_WINDOW): string {
  switch (rule) {
    case 'contact_window':
      return `Outside the contact window (${window.start}–${window.end} borrower-local)`;
    case 'opted_out':
      return 'The borrower opted out of this channel';
    case 'not_a_party':
      return 'Not a party to the loan: only the borrower (or a guarantor) may be contacted';
    case 'whatsapp_collections':
      return 'Collections content on WhatsApp is turned off in the contact policy';
    case 'consent_missing':
      return 'The borrower has not consented to this purpose on this channel';
    case 'hold':
      return 'Contact with this borrower is on hold';
    case 'blackout':
      return 'A blackout date: no contact today';
    case 'borrower_preference':
      return 'Outside the hours the borrower asked to be contacted in';
    case 'daily_cap':
      return 'The daily cap for this channel is reached';
    case 'weekly_cap':
      return 'The weekly cap for this channel is reached';
    case null:
    case undefined:
    case '':
      return 'Blocked by the contact policy';
    default:
      return `Blocked by the contact policy (${rule.replace(/_/g, ' ')})`;
  }
}
