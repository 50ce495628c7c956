// A template as the editor holds it, and back into the bodies of POST …/templates and PUT …/templates/{id};
// the placeholders its text uses; its versions in other languages.
import { randomId } from '@mantine/hooks';
import type { Template } from '../api/list-templates';
import type { PreviewRequest } from '../api/preview-template';
import type { TemplateContent, TemplateCreate } from '../api/save-template';
import type { ChannelCode, LanguageCode, PurposeCode, ToneCode, VariableKind } from './channel-words';

export interface VariableRow {
  /** only for React's list keys; never sent */
  key: string;
  name: string;
  type: VariableKind;
  max_length: number | string;
}

export interface TemplateValues {
  name: string;
  channel: ChannelCode;
  purpose: PurposeCode;
  language: LanguageCode;
  tone: ToneCode;
  body: string;
  subject: string;
  variables: VariableRow[];
  dlt_template_id: string;
  whatsapp_category: '' | 'utility' | 'marketing' | 'authentication';
}

/** How long a new variable may be once formatted: SMS variables are DLT's 30 characters at most. */
export const defaultMaxLength = (channel: ChannelCode, type: VariableKind): number =>
  channel === 'sms' ? 30 : type === 'url' ? 200 : type === 'text' ? 60 : 30;

export const variableRow = (name = '', type: VariableKind = 'text', max_length: number | string = 30): VariableRow => ({
  key: randomId(),
  name,
  type,
  max_length,
});

export const emptyTemplate = (): TemplateValues => ({
  name: '',
  channel: 'sms',
  purpose: 'reminder',
  language: 'en',
  tone: 'formal',
  body: '',
  subject: '',
  variables: [],
  dlt_template_id: '',
  whatsapp_category: '',
});

export function toValues(t: Template): TemplateValues {
  return {
    name: t.name,
    channel: t.channel as ChannelCode,
    purpose: t.purpose as PurposeCode,
    language: t.language as LanguageCode,
    tone: t.tone as ToneCode,
    body: t.body,
    subject: t.subject ?? '',
    variables: Object.entries(t.variables).map(([name, spec]) => variableRow(name, spec.type, spec.max_length)),
    dlt_template_id: t.dlt_template_id ?? '',
    whatsapp_category: (t.whatsapp_category ?? '') as TemplateValues['whatsapp_category'],
  };
}

const blank = (s: string) => (s.trim() ? s.trim() : null);

/** The variables as the API takes them, `{name: {type, max_length}}` (rows without a name are left out). */
export function variablesOf(rows: readonly VariableRow[]): NonNullable<TemplateContent['variables']> {
  return Object.fromEntries(
    rows.filter((r) => r.name.trim()).map((r) => [r.name.trim(), { type: r.type, max_length: Number(r.max_length) || 0 }]),
  );
}

/** What a version says: the fields a channel does not use are sent as null, whatever was typed before switching. */
export function toContent(v: TemplateValues): TemplateContent {
  return {
    tone: v.tone,
    body: v.body,
    subject: v.channel === 'email' ? blank(v.subject) : null,
    variables: variablesOf(v.variables),
    dlt_template_id: v.channel === 'sms' ? blank(v.dlt_template_id) : null,
    whatsapp_category: v.channel === 'whatsapp' && v.whatsapp_category ? v.whatsapp_category : null,
  };
}

export function toCreate(v: TemplateValues): TemplateCreate {
  return { ...toContent(v), name: v.name.trim(), channel: v.channel, purpose: v.purpose, language: v.language };
}

/** The preview request for what the editor holds now; null while there is no text to preview. */
export function toPreview(v: TemplateValues, values: Record<string, string> = {}): PreviewRequest | null {
  if (!v.body.trim()) return null;
  const filled = Object.fromEntries(Object.entries(values).filter(([, value]) => value.trim() !== ''));
  return {
    channel: v.channel,
    body: v.body,
    subject: v.channel === 'email' ? blank(v.subject) : null,
    variables: variablesOf(v.variables),
    language: v.language,
    ...(Object.keys(filled).length ? { values: filled } : {}),
  };
}

/** The {{placeholders}} a text uses, in order of first use. */
export function placeholders(...texts: string[]): string[] {
  const names: string[] = [];
  for (const text of texts) {
    for (const m of text.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)) {
      if (!names.includes(m[1]!)) names.push(m[1]!);
    }
  }
  return names;
}

/** A guess at a placeholder's type from its name (amount → ₹, due_date → date…); the user can change it. */
export function guessKind(name: string): VariableKind {
  if (/otp|code/.test(name)) return 'otp';
  if (/amount|emi|dues?$|balance|₹/.test(name)) return 'amount';
  if (/date|_on$/.test(name)) return 'date';
  if (/link|url/.test(name)) return 'url';
  if (/phone|helpline|mobile/.test(name)) return 'phone';
  if (/count|days|dpd|number/.test(name)) return 'number';
  return 'text';
}

/** Placeholders the text uses that are not declared yet, as new rows. */
export function missingVariables(v: TemplateValues): VariableRow[] {
  const declared = new Set(v.variables.map((r) => r.name.trim()));
  return placeholders(v.body, v.channel === 'email' ? v.subject : '')
    .filter((name) => !declared.has(name))
    .map((name) => {
      const type = guessKind(name);
      return variableRow(name, type, defaultMaxLength(v.channel, type));
    });
}

const LANGUAGE_SUFFIX = /_(en|hi|mr|ta|te|bn|kn)$/;

/** A template's name without its language suffix: "reminder_formal_sms_hi" → "reminder_formal_sms". */
export const baseName = (name: string) => name.replace(LANGUAGE_SUFFIX, '');

/**
 * The same template in each language: versions with the same channel and name (or the same name but for
 * its language suffix, as the starter set names them). Per language the approved version, else the newest.
 */
export function languageVersions(template: Pick<Template, 'name' | 'channel'>, all: readonly Template[]): Map<string, Template> {
  const base = baseName(template.name);
  const byLanguage = new Map<string, Template>();
  for (const t of all) {
    if (t.channel !== template.channel || baseName(t.name) !== base || t.status === 'retired') continue;
    const held = byLanguage.get(t.language);
    const better =
      !held || (t.status === 'approved' && held.status !== 'approved') || (t.status === held.status && t.version > held.version);
    if (better) byLanguage.set(t.language, t);
  }
  return byLanguage;
}

/** Form paths a 422 names ("variables.amount.max_length") mapped onto the editor's fields. */
export function errorPaths(errors: Record<string, string>, v: TemplateValues): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, message] of Object.entries(errors)) {
    const m = /^variables\.([^.]+)(?:\.(type|max_length))?$/.exec(path);
    if (m) {
      const i = v.variables.findIndex((r) => r.name.trim() === m[1]);
      if (i >= 0) {
        out[`variables.${i}.${m[2] ?? 'name'}`] = message;
        continue;
      }
      out.variables = out.variables ? `${out.variables}; ${m[1]}: ${message}` : `${m[1]}: ${message}`;
      continue;
    }
    out[path] = out[path] ? `${out[path]}; ${message}` : message;
  }
  return out;
}
