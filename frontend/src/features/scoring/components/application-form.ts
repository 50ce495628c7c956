// The scoring form's model: values as the form holds them, validation per field, and the
// conversion to and from the API body (DESIGN §5 "Scoring").
import { valuesOf } from '@/lib/enums';
import type { ApplicationCreate } from '../api/create-application';

type Applicant = ApplicationCreate['applicant'];
export type EmploymentType = Applicant['employment_type'];
export type ResidenceType = NonNullable<Applicant['residence_type']>;
export type Purpose = ApplicationCreate['loan']['purpose'];
export type Bureau = NonNullable<ApplicationCreate['pull_bureaus']>[number];

// Every value the API takes, checked against the generated client (see lib/enums.ts).
export const EMPLOYMENT_TYPES = valuesOf<EmploymentType>({
  salaried: true,
  self_employed: true,
  gig: true,
  farmer: true,
  student: true,
  unemployed: true,
});
export const PURPOSES = valuesOf<Purpose>({
  personal: true,
  business: true,
  education: true,
  vehicle: true,
  home_improvement: true,
  agriculture: true,
  medical: true,
  consumer_durable: true,
  other: true,
});
export const RESIDENCE_TYPES = valuesOf<ResidenceType>({ owned: true, rented: true, family: true, company_provided: true, other: true });
export const BUREAUS = valuesOf<Bureau>({ cibil: true, experian: true, crif: true });
/** City tiers as the form's select holds them, and as the API takes them. */
const CITY_TIERS = { '1': 1, '2': 2, '3': 3 } as const satisfies Record<string, NonNullable<Applicant['city_tier']>>;
export type CityTier = keyof typeof CITY_TIERS;
export const CITY_TIER_OPTIONS = Object.keys(CITY_TIERS) as CityTier[];

type Num = number | '';

export interface FormValues {
  external_ref: string;
  applicant: {
    name: string;
    pan: string;
    date_of_birth: string;
    phone: string;
    email: string;
    /** '' when imported JSON names a type the API does not know (the field then asks for one). */
    employment_type: EmploymentType | '';
    employment_years: Num;
    monthly_income: Num;
    existing_emi: Num;
    residence_type: ResidenceType | null;
    city_tier: CityTier | null;
    state: string;
  };
  loan: { amount: Num; tenure_months: Num; interest_rate: Num; purpose: Purpose | '' };
  new_to_credit: boolean;
  bureau: {
    score: Num;
    utilization: Num;
    dpd_30_last_12m: Num;
    max_dpd_last_24m: Num;
    enquiries_last_6m: Num;
    credit_history_months: Num;
    active_accounts: Num;
  };
  alt_data: { avg_monthly_inflow: Num; inflow_regularity: Num; bounced_emis_last_6m: Num; upi_txn_per_month: Num };
  /** Pull what the credit policy says (false), or only `pull_bureaus` (needs applications:choose_bureaus). */
  choose_bureaus: boolean;
  pull_bureaus: Bureau[];
}

export const EMPTY_VALUES: FormValues = {
  external_ref: '',
  applicant: {
    name: '',
    pan: '',
    date_of_birth: '',
    phone: '',
    email: '',
    employment_type: 'salaried',
    employment_years: '',
    monthly_income: '',
    existing_emi: '',
    residence_type: 'rented',
    city_tier: '1',
    state: '',
  },
  loan: { amount: '', tenure_months: '', interest_rate: '', purpose: 'personal' },
  new_to_credit: false,
  bureau: {
    score: '',
    utilization: '',
    dpd_30_last_12m: '',
    max_dpd_last_24m: '',
    enquiries_last_6m: '',
    credit_history_months: '',
    active_accounts: '',
  },
  alt_data: { avg_monthly_inflow: '', inflow_regularity: '', bounced_emis_last_6m: '', upi_txn_per_month: '' },
  choose_bureaus: false,
  pull_bureaus: [...BUREAUS],
};

const PAN = /^[A-Z]{5}[0-9]{4}[A-Z]$/;

function ageOn(dob: string, today: Date): number | null {
  const d = new Date(`${dob}T00:00:00`);
  if (Number.isNaN(d.getTime())) return null;
  let age = today.getFullYear() - d.getFullYear();
  const m = today.getMonth() - d.getMonth();
  if (m < 0 || (m === 0 && today.getDate() < d.getDate())) age -= 1;
  return age;
}

const required = (v: unknown, label: string) => (v === '' || v === null || v === undefined ? `${label} is required` : null);
const range = (v: Num, lo: number, hi: number, label: string) =>
  v === '' ? null : v < lo || v > hi ? `${label} must be between ${lo} and ${hi}` : null;

/** Per-field messages, keyed by the form path (e.g. "applicant.pan"). Empty when valid. */
export function validateApplication(v: FormValues, today = new Date()): Record<string, string> {
  const e: Record<string, string | null> = {};
  const a = v.applicant;
  e['applicant.name'] = a.name.trim() ? null : 'Name is required';
  e['applicant.pan'] = PAN.test(a.pan.trim().toUpperCase()) ? null : 'PAN is 5 letters, 4 digits and a letter (ABCPV1234K)';
  const age = a.date_of_birth ? ageOn(a.date_of_birth, today) : null;
  e['applicant.date_of_birth'] = !a.date_of_birth
    ? 'Date of birth is required'
    : age === null
      ? 'Enter a valid date'
      : age < 18 || age > 100
        ? 'The applicant must be between 18 and 100 years old'
        : null;
  e['applicant.phone'] = a.phone && !/^\+?[0-9]{10,13}$/.test(a.phone.replace(/[\s-]/g, '')) ? 'Enter a 10-digit mobile number' : null;
  e['applicant.email'] = a.email && !/^\S+@\S+\.\S+$/.test(a.email) ? 'Enter a valid e-mail' : null;
  e['applicant.employment_type'] = a.employment_type ? null : 'Choose the employment type';
  e['applicant.monthly_income'] = required(a.monthly_income, 'Monthly income') ?? range(a.monthly_income, 0, 1e9, 'Monthly income');
  e['applicant.existing_emi'] = range(a.existing_emi, 0, 1e9, 'Existing EMI');
  e['applicant.employment_years'] = range(a.employment_years, 0, 60, 'Years employed');
  e['loan.amount'] = required(v.loan.amount, 'Loan amount') ?? range(v.loan.amount, 1000, 1e9, 'Loan amount');
  e['loan.tenure_months'] = required(v.loan.tenure_months, 'Tenure') ?? range(v.loan.tenure_months, 1, 360, 'Tenure');
  e['loan.interest_rate'] = required(v.loan.interest_rate, 'Interest rate') ?? range(v.loan.interest_rate, 0, 60, 'Interest rate');
  e['loan.purpose'] = v.loan.purpose ? null : 'Choose the purpose';
  if (!v.new_to_credit) {
    const b = v.bureau;
    e['bureau.score'] = range(b.score, 300, 900, 'Bureau score');
    e['bureau.utilization'] = range(b.utilization, 0, 5, 'Utilisation');
    e['bureau.dpd_30_last_12m'] = range(b.dpd_30_last_12m, 0, 1000, '30+ DPD count');
    e['bureau.max_dpd_last_24m'] = range(b.max_dpd_last_24m, 0, 10000, 'Max DPD');
    e['bureau.enquiries_last_6m'] = range(b.enquiries_last_6m, 0, 1000, 'Enquiries');
    e['bureau.credit_history_months'] = range(b.credit_history_months, 0, 1200, 'Credit history');
    e['bureau.active_accounts'] = range(b.active_accounts, 0, 1000, 'Active accounts');
  }
  e['alt_data.inflow_regularity'] = range(v.alt_data.inflow_regularity, 0, 1, 'Inflow regularity');
  e['alt_data.avg_monthly_inflow'] = range(v.alt_data.avg_monthly_inflow, 0, 1e9, 'Average inflow');
  e['alt_data.bounced_emis_last_6m'] = range(v.alt_data.bounced_emis_last_6m, 0, 100, 'Bounced EMIs');
  e['alt_data.upi_txn_per_month'] = range(v.alt_data.upi_txn_per_month, 0, 100000, 'UPI transactions');
  return Object.fromEntries(Object.entries(e).filter((kv): kv is [string, string] => kv[1] !== null));
}

/** A field validateApplication() requires: present by the time a body is built. */
function need<T>(value: T | '' | null, field: string): T {
  if (value === '' || value === null) throw new Error(`${field} is required`);
  return value;
}
/** An optional field: left out when empty. */
const opt = <T>(value: T | '' | null): T | undefined => (value === '' || value === null ? undefined : value);

/** The object without its undefined fields (they are all optional), so the body names only what was entered. */
function present<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The API body, from values validateApplication() accepts: empty optional fields left out; no bureau
 * block when there are no values to enter. `pull_bureaus` is sent only when the user chose bureaus;
 * otherwise the server pulls what the credit policy says (by default every enabled bureau).
 */
export function toApplicationBody(v: FormValues): ApplicationCreate {
  const a = v.applicant;
  const b = v.bureau;
  const d = v.alt_data;
  const bureau = v.new_to_credit
    ? {}
    : present({
        score: opt(b.score),
        utilization: opt(b.utilization),
        dpd_30_last_12m: opt(b.dpd_30_last_12m),
        max_dpd_last_24m: opt(b.max_dpd_last_24m),
        enquiries_last_6m: opt(b.enquiries_last_6m),
        credit_history_months: opt(b.credit_history_months),
        active_accounts: opt(b.active_accounts),
      });
  const alt = present({
    avg_monthly_inflow: opt(d.avg_monthly_inflow),
    inflow_regularity: opt(d.inflow_regularity),
    bounced_emis_last_6m: opt(d.bounced_emis_last_6m),
    upi_txn_per_month: opt(d.upi_txn_per_month),
  });
  return present({
    external_ref: v.external_ref.trim() || undefined,
    applicant: present({
      name: a.name.trim(),
      pan: a.pan.trim().toUpperCase() || undefined,
      date_of_birth: need(a.date_of_birth, 'Date of birth'),
      phone: opt(a.phone),
      email: opt(a.email),
      employment_type: need(a.employment_type, 'Employment type'),
      employment_years: opt(a.employment_years),
      monthly_income: need(a.monthly_income, 'Monthly income'),
      // The API reads a missing figure as no existing EMI.
      existing_emi: opt(a.existing_emi) ?? 0,
      residence_type: opt(a.residence_type),
      city_tier: a.city_tier ? CITY_TIERS[a.city_tier] : undefined,
      state: opt(a.state),
    }),
    loan: {
      amount: need(v.loan.amount, 'Loan amount'),
      tenure_months: need(v.loan.tenure_months, 'Tenure'),
      interest_rate: need(v.loan.interest_rate, 'Interest rate'),
      purpose: need(v.loan.purpose, 'Purpose'),
    },
    bureau: Object.keys(bureau).length ? bureau : undefined,
    alt_data: Object.keys(alt).length ? alt : undefined,
    pull_bureaus: v.choose_bureaus ? v.pull_bureaus : undefined,
  });
}

const num = (x: unknown): Num => {
  if (typeof x === 'number') return x;
  if (typeof x === 'string' && x.trim() !== '' && !Number.isNaN(Number(x))) return Number(x);
  return '';
};
const str = (x: unknown): string => (x === null || x === undefined ? '' : String(x));
/** A value of one of the API's enums: `fallback` when absent, '' when it is not one the API knows. */
function oneOf<T extends string>(values: readonly T[], x: unknown, fallback: T): T | '' {
  if (x === null || x === undefined || x === '') return fallback;
  return values.find((v) => v === String(x)) ?? '';
}

/** Parse pasted or uploaded JSON (one application body) into form values; throws a readable Error. */
export function fromApplicationJson(text: string): FormValues {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`This is not valid JSON: ${(err as Error).message}`);
  }
  if (Array.isArray(raw)) {
    if (raw.length !== 1) throw new Error('The file holds a list of applications — use Batch scoring for several');
    raw = raw[0];
  }
  if (typeof raw !== 'object' || raw === null) throw new Error('Expected one application object');
  const o = raw as Record<string, Record<string, unknown> | unknown>;
  const a = (o.applicant ?? {}) as Record<string, unknown>;
  const l = (o.loan ?? {}) as Record<string, unknown>;
  const b = o.bureau as Record<string, unknown> | null | undefined;
  const d = (o.alt_data ?? {}) as Record<string, unknown>;
  if (!o.applicant || !o.loan) throw new Error('An application needs "applicant" and "loan" sections');
  const hasBureau = !!b && Object.keys(b).length > 0;
  return {
    external_ref: str(o.external_ref),
    applicant: {
      name: str(a.name),
      pan: str(a.pan),
      date_of_birth: str(a.date_of_birth),
      phone: str(a.phone),
      email: str(a.email),
      employment_type: oneOf(EMPLOYMENT_TYPES, a.employment_type, 'salaried'),
      employment_years: num(a.employment_years),
      monthly_income: num(a.monthly_income),
      existing_emi: num(a.existing_emi),
      residence_type: oneOf(RESIDENCE_TYPES, a.residence_type, 'rented') || null,
      city_tier: oneOf(CITY_TIER_OPTIONS, a.city_tier, '1') || null,
      state: str(a.state),
    },
    loan: {
      amount: num(l.amount),
      tenure_months: num(l.tenure_months),
      interest_rate: num(l.interest_rate),
      purpose: oneOf(PURPOSES, l.purpose, 'personal'),
    },
    new_to_credit: !hasBureau,
    bureau: {
      score: num(b?.score),
      utilization: num(b?.utilization),
      dpd_30_last_12m: num(b?.dpd_30_last_12m),
      max_dpd_last_24m: num(b?.max_dpd_last_24m),
      enquiries_last_6m: num(b?.enquiries_last_6m),
      credit_history_months: num(b?.credit_history_months),
      active_accounts: num(b?.active_accounts),
    },
    alt_data: {
      avg_monthly_inflow: num(d.avg_monthly_inflow),
      inflow_regularity: num(d.inflow_regularity),
      bounced_emis_last_6m: num(d.bounced_emis_last_6m),
      upi_txn_per_month: num(d.upi_txn_per_month),
    },
    choose_bureaus: Array.isArray(o.pull_bureaus),
    pull_bureaus: Array.isArray(o.pull_bureaus)
      ? o.pull_bureaus.map(String).filter((x): x is Bureau => (BUREAUS as readonly string[]).includes(x))
      : [...BUREAUS],
  };
}

/** Server 422 field paths ("body.applicant.pan") → form paths ("applicant.pan"). */
export function serverFieldErrors(fields: { field: string; message: string }[]): Record<string, string> {
  return Object.fromEntries(fields.map((f) => [f.field.replace(/^body\./, ''), f.message.replace(/^Value error, /, '')]));
}

/** A stable Idempotency-Key for one submission: the session nonce plus a hash of the body. */
export function idempotencyKey(nonce: string, body: unknown): string {
  const text = JSON.stringify(body);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${nonce}-${h.toString(16).padStart(8, '0')}`;
}
