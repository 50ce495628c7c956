// The policy editor's model: the form values, the checks made before saving, and the API body.
import { valuesOf } from '@/lib/enums';
import type { Policy } from '../api/get-policy';
import type { PolicyWrite } from '../api/put-policy';

export type Rule = NonNullable<PolicyWrite['knockout_rules']>[number];
export type Bureau = NonNullable<NonNullable<PolicyWrite['bureau_pull']>['bureaus']>[number];

export const BUREAUS = valuesOf<Bureau>({ cibil: true, experian: true, crif: true });
export const RULE_OUTCOMES = valuesOf<Rule['outcome']>({ Reject: true, Review: true });

export interface PolicyValues {
  approve_below_pd: number;
  reject_at_or_above_pd: number;
  lgd: number;
  knockout_rules: Rule[];
  /** The limit rules as JSON text, edited as such. */
  limit_rules: string;
  /** The bureaus every applicant with a PAN is pulled from; null = every bureau switched on. */
  pull_bureaus: Bureau[] | null;
  adverse_reason_min_impact: number;
}

export const EMPTY_RULE: Rule = { name: '', when: '', outcome: 'Reject', reason: '' };

export function toPolicyValues(policy: Policy): PolicyValues {
  return {
    approve_below_pd: policy.approve_below_pd,
    reject_at_or_above_pd: policy.reject_at_or_above_pd,
    lgd: policy.lgd,
    knockout_rules: policy.knockout_rules ?? [],
    limit_rules: JSON.stringify(policy.limit_rules ?? {}, null, 2),
    pull_bureaus: policy.bureau_pull?.bureaus ?? null,
    adverse_reason_min_impact: policy.adverse_reason_min_impact ?? 0.1,
  };
}

/** What stops the policy from being saved, in one sentence; null when it may be sent. */
export function policyProblem(v: PolicyValues): string | null {
  if (!(v.approve_below_pd < v.reject_at_or_above_pd)) return '“Approve below” must be lower than “reject at or above”';
  try {
    JSON.parse(v.limit_rules || '{}');
  } catch {
    return 'Limit rules are not valid JSON';
  }
  if (v.pull_bureaus !== null && v.pull_bureaus.length === 0) return 'Choose at least one bureau to pull, or “every enabled bureau”';
  const empty = v.knockout_rules.findIndex((r) => !r.name.trim() || !r.when.trim() || !r.reason.trim());
  if (empty >= 0) return `Rule ${empty + 1} needs a name, a condition and a reason`;
  return null;
}

/** The PUT body, once policyProblem() has nothing to say. */
export function toPolicyBody(v: PolicyValues): PolicyWrite {
  // The server checks the limit rules' fields and answers 422 on the field that is wrong.
  const limits: PolicyWrite['limit_rules'] = JSON.parse(v.limit_rules || '{}');
  return {
    approve_below_pd: v.approve_below_pd,
    reject_at_or_above_pd: v.reject_at_or_above_pd,
    lgd: v.lgd,
    knockout_rules: v.knockout_rules,
    limit_rules: limits,
    bureau_pull: { bureaus: v.pull_bureaus },
    adverse_reason_min_impact: v.adverse_reason_min_impact,
  };
}
