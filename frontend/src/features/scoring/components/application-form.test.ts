import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_VALUES,
  fromApplicationJson,
  idempotencyKey,
  serverFieldErrors,
  toApplicationBody,
  validateApplication,
} from './application-form';

const sample = readFileSync(resolve(__dirname, '../../../../../data/sample_application.json'), 'utf8');
const today = new Date('2026-11-21T00:00:00');

describe('the scoring form model', () => {
  it('round-trips the shipped sample application', () => {
    const values = fromApplicationJson(sample);
    expect(values.applicant.name).toBe('Asha Verma');
    expect(values.new_to_credit).toBe(false);
    expect(validateApplication(values, today)).toEqual({});
    const body = toApplicationBody(values);
    expect(body).toEqual(JSON.parse(sample));
  });

  it('gives a message per invalid field', () => {
    const v = structuredClone(EMPTY_VALUES);
    v.applicant.pan = 'ABC123';
    v.applicant.date_of_birth = '2015-01-01';
    v.loan.amount = -5;
    v.bureau.score = 950;
    const errors = validateApplication(v, today);
    expect(errors['applicant.name']).toBe('Name is required');
    expect(errors['applicant.pan']).toMatch(/PAN is 5 letters/);
    expect(errors['applicant.date_of_birth']).toMatch(/between 18 and 100/);
    expect(errors['applicant.monthly_income']).toBe('Monthly income is required');
    expect(errors['loan.amount']).toMatch(/between 1000/);
    expect(errors['bureau.score']).toBe('Bureau score must be between 300 and 900');
  });

  it('ignores and omits bureau data for a new-to-credit applicant', () => {
    const v = fromApplicationJson(sample);
    v.new_to_credit = true;
    v.bureau.score = 1200; // hidden, so not validated
    v.choose_bureaus = false;
    expect(validateApplication(v, today)['bureau.score']).toBeUndefined();
    const body = toApplicationBody(v);
    expect(body.bureau).toBeUndefined();
    expect('pull_bureaus' in body).toBe(false); // the policy decides which bureaus are pulled
    expect(body.alt_data).toEqual({ avg_monthly_inflow: 70000, inflow_regularity: 0.9, bounced_emis_last_6m: 0, upi_txn_per_month: 45 });
  });

  it('sends pull_bureaus only when the user chose bureaus', () => {
    const v = fromApplicationJson(sample);
    expect(v.choose_bureaus).toBe(true); // the sample names its bureaus
    v.pull_bureaus = ['cibil'];
    expect(toApplicationBody(v).pull_bureaus).toEqual(['cibil']);
    v.choose_bureaus = false;
    expect('pull_bureaus' in toApplicationBody(v)).toBe(false);
    const plain = fromApplicationJson(JSON.stringify({ ...JSON.parse(sample), pull_bureaus: undefined }));
    expect(plain.choose_bureaus).toBe(false);
    expect(plain.pull_bureaus).toEqual(['cibil', 'experian', 'crif']);
  });

  it('upper-cases the PAN and drops empty optional fields', () => {
    const v = fromApplicationJson(sample);
    v.applicant.pan = 'abcpv1234k';
    v.applicant.email = '';
    const body = toApplicationBody(v);
    expect(body.applicant.pan).toBe('ABCPV1234K');
    expect('email' in body.applicant).toBe(false);
  });

  it('asks for an employment type or a purpose the API does not know instead of sending it', () => {
    const raw = JSON.parse(sample);
    const v = fromApplicationJson(
      JSON.stringify({ ...raw, applicant: { ...raw.applicant, employment_type: 'retired' }, loan: { ...raw.loan, purpose: 'wedding' } }),
    );
    const errors = validateApplication(v, today);
    expect(errors['applicant.employment_type']).toBe('Choose the employment type');
    expect(errors['loan.purpose']).toBe('Choose the purpose');
  });

  it('explains unusable JSON', () => {
    expect(() => fromApplicationJson('{oops')).toThrow(/not valid JSON/);
    expect(() => fromApplicationJson('[{}, {}]')).toThrow(/Batch scoring/);
    expect(() => fromApplicationJson('{"applicant": {}}')).toThrow(/"applicant" and "loan"/);
    expect(fromApplicationJson(`[${sample}]`).applicant.pan).toBe('ABCPV1234K');
  });

  it('maps server field paths onto the form', () => {
    expect(serverFieldErrors([{ field: 'body.applicant.monthly_income', message: 'Input should be greater than 0' }])).toEqual({
      'applicant.monthly_income': 'Input should be greater than 0',
    });
  });

  it('derives the same idempotency key for the same body and nonce only', () => {
    const body = toApplicationBody(fromApplicationJson(sample));
    expect(idempotencyKey('n1', body)).toBe(idempotencyKey('n1', body));
    expect(idempotencyKey('n2', body)).not.toBe(idempotencyKey('n1', body));
    expect(idempotencyKey('n1', { ...body, external_ref: 'other' })).not.toBe(idempotencyKey('n1', body));
  });
});
