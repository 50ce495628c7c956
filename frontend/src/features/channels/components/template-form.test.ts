import { describe, expect, it } from 'vitest';
import type { Template } from '../api/list-templates';
import { blockedReason } from './channel-words';
import {
  baseName,
  emptyTemplate,
  errorPaths,
  languageVersions,
  missingVariables,
  placeholders,
  toContent,
  toCreate,
  toPreview,
  variableRow,
} from './template-form';

const version = (over: Partial<Template>): Template => ({
  id: 't',
  name: 'emi_reminder',
  channel: 'sms',
  purpose: 'reminder',
  language: 'en',
  tone: 'formal',
  body: 'Pay {{amount}}',
  subject: null,
  variables: { amount: { type: 'amount', max_length: 20 } },
  dlt_template_id: '1107161234567890123',
  whatsapp_category: null,
  collections_content: false,
  status: 'approved',
  version: 1,
  author: 'analyst@creditdesk.demo',
  approved_by: 'admin@demo-nbfc.example',
  approved_at: '2026-11-29T10:00:00Z',
  created_at: '2026-11-29T09:00:00Z',
  updated_at: '2026-11-29T10:00:00Z',
  ...over,
});

describe('template-form', () => {
  it('sends only the fields the channel uses, whatever was typed before switching channel', () => {
    const values = {
      ...emptyTemplate(),
      name: ' emi_reminder_wa ',
      channel: 'whatsapp' as const,
      body: 'Hi {{name}}',
      subject: 'left from e-mail',
      dlt_template_id: '1107161234567890123',
      whatsapp_category: 'utility' as const,
      variables: [variableRow('name', 'text', 40), variableRow('  ', 'text', 10)],
    };
    expect(toCreate(values)).toEqual({
      name: 'emi_reminder_wa',
      channel: 'whatsapp',
      purpose: 'reminder',
      language: 'en',
      tone: 'formal',
      body: 'Hi {{name}}',
      subject: null,
      variables: { name: { type: 'text', max_length: 40 } },
      dlt_template_id: null,
      whatsapp_category: 'utility',
    });
    expect(toContent({ ...values, channel: 'sms' })).toMatchObject({ dlt_template_id: '1107161234567890123', whatsapp_category: null });
    expect(toContent({ ...values, channel: 'email', subject: ' Your EMI ' })).toMatchObject({ subject: 'Your EMI' });
  });

  it('finds the placeholders not declared yet and guesses their type', () => {
    const values = {
      ...emptyTemplate(),
      body: 'Dear {{ name }}, {{amount}} is due on {{due_date}}. Pay: {{pay_link}} ({{amount}})',
      variables: [variableRow('name', 'text', 30)],
    };
    expect(placeholders(values.body)).toEqual(['name', 'amount', 'due_date', 'pay_link']);
    expect(missingVariables(values).map((r) => [r.name, r.type, r.max_length])).toEqual([
      ['amount', 'amount', 30],
      ['due_date', 'date', 30],
      ['pay_link', 'url', 30],
    ]);
  });

  it('asks for no preview until there is text, and passes only the sample values typed', () => {
    expect(toPreview(emptyTemplate())).toBeNull();
    const values = { ...emptyTemplate(), body: 'Pay {{amount}}', variables: [variableRow('amount', 'amount', 20)] };
    expect(toPreview(values, { amount: '' })).toEqual({
      channel: 'sms',
      body: 'Pay {{amount}}',
      subject: null,
      variables: { amount: { type: 'amount', max_length: 20 } },
      language: 'en',
    });
    expect(toPreview({ ...values, language: 'hi' }, { amount: '123456' })).toMatchObject({ language: 'hi', values: { amount: '123456' } });
  });

  it("picks each language's version of the same template: approved first, the starter set's language suffix ignored", () => {
    const en = version({ id: 'en1', name: 'reminder_formal_sms_en' });
    const hiOld = version({ id: 'hi1', name: 'reminder_formal_sms_hi', language: 'hi', status: 'retired' });
    const hiApproved = version({ id: 'hi2', name: 'reminder_formal_sms_hi', language: 'hi', version: 2 });
    const hiDraft = version({ id: 'hi3', name: 'reminder_formal_sms_hi', language: 'hi', version: 3, status: 'draft' });
    const ta = version({ id: 'ta1', name: 'reminder_formal_sms_ta', language: 'ta', status: 'draft' });
    const other = version({ id: 'x', name: 'reminder_firm_sms_mr', language: 'mr' });
    const whatsapp = version({ id: 'w', name: 'reminder_formal_sms_bn', language: 'bn', channel: 'whatsapp' });
    expect(baseName('reminder_formal_sms_hi')).toBe('reminder_formal_sms');
    const versions = languageVersions(en, [en, hiOld, hiApproved, hiDraft, ta, other, whatsapp]);
    expect([...versions.entries()].map(([lang, t]) => [lang, t.id])).toEqual([
      ['en', 'en1'],
      ['hi', 'hi2'],
      ['ta', 'ta1'],
    ]);
  });

  it("puts a 422's variable errors on that variable's row", () => {
    const values = { ...emptyTemplate(), variables: [variableRow('name'), variableRow('amount', 'amount', 50)] };
    expect(
      errorPaths(
        { 'variables.amount.max_length': 'at most 30 characters for an SMS (DLT)', 'variables.gone': 'not used', body: 'unknown {{x}}' },
        values,
      ),
    ).toEqual({ 'variables.1.max_length': 'at most 30 characters for an SMS (DLT)', variables: 'gone: not used', body: 'unknown {{x}}' });
  });
});

describe('blockedReason', () => {
  it('says in words which rule kept a message back', () => {
    expect(blockedReason('contact_window')).toBe('Outside the contact window (08:00–19:00 borrower-local)');
    expect(blockedReason('contact_window', { start: '09:00', end: '18:00' })).toBe(
      'Outside the contact window (09:00–18:00 borrower-local)',
    );
    expect(blockedReason('daily_cap')).toBe('The daily cap for this channel is reached');
    expect(blockedReason('opted_out')).toBe('The borrower opted out of this channel');
    expect(blockedReason('whatsapp_collections')).toMatch(/WhatsApp/);
    expect(blockedReason('new_rule_x')).toBe('Blocked by the contact policy (new rule x)');
    expect(blockedReason(null)).toBe('Blocked by the contact policy');
  });
});
