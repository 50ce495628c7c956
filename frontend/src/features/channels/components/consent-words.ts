// A borrower's consent ledger in words: where each channel stands, and each entry as a sentence.
import type { ConsentCreate, Consents } from '../api/consents';
import { CHANNEL_NAMES, PURPOSE_NAMES, label, type ChannelCode } from './channel-words';

export type Source = NonNullable<ConsentCreate['source']>;
export type LedgerEvent = Consents['history'][number];

export const SOURCE_NAMES: Record<Source, string> = {
  portal: 'Recorded in the portal',
  branch: 'At a branch',
  voice: 'On a call',
  email: 'By e-mail',
  sms_reply: 'SMS reply',
  whatsapp_reply: 'WhatsApp reply',
  borrower_app: 'In the borrower app',
  api: 'Through the API',
};

export const CHANNEL_CODES: ChannelCode[] = ['sms', 'whatsapp', 'email', 'voice'];

export interface ChannelStanding {
  channel: ChannelCode;
  optedOut: boolean;
  /** opted out of every channel at once (an opt-in must lift that one) */
  optedOutOfAll: boolean;
  purposes: string[];
}

/** Per channel: opted out (of it, or of all), and the purposes the borrower agreed to there. */
export function standing(consents: Pick<Consents, 'opted_out' | 'consents'>): ChannelStanding[] {
  const all = consents.opted_out.includes('all');
  return CHANNEL_CODES.map((channel) => ({
    channel,
    optedOut: all || consents.opted_out.includes(channel),
    optedOutOfAll: all,
    purposes: consents.consents[channel] ?? [],
  }));
}

const channelWords = (channel: string) => (channel === 'all' ? 'every channel' : label(CHANNEL_NAMES, channel));
const purposeWords = (purpose: string | null) => (purpose ? label(PURPOSE_NAMES, purpose).toLowerCase() : 'messages');

/** "Opted out of every channel", "Consented to reminder on WhatsApp"… */
export function ledgerSentence(e: Pick<LedgerEvent, 'action' | 'channel' | 'purpose'>): string {
  switch (e.action) {
    case 'granted':
      return `Consented to ${purposeWords(e.purpose)} on ${channelWords(e.channel)}`;
    case 'withdrawn':
      return `Withdrew consent to ${purposeWords(e.purpose)} on ${channelWords(e.channel)}`;
    case 'opted_out':
      return `Opted out of ${channelWords(e.channel)}`;
    case 'opted_in':
      return `Opted back in to ${channelWords(e.channel)}`;
    default:
      return `${String(e.action).replace(/_/g, ' ')} · ${channelWords(e.channel)}`;
  }
}
