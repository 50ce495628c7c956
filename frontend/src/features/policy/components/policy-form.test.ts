import { describe, expect, it } from 'vitest';
import type { Policy } from '../api/get-policy';
import { EMPTY_RULE, policyProblem, toPolicyBody, toPolicyValues } from './policy-form';

const policy = {
  version: 4,
  approve_below_pd: 0.3,
  reject_at_or_above_pd: 0.6,
  lgd: 0.6,
  knockout_rules: [{ name: 'Too young', when: 'age < 21', outcome: 'Reject', reason: 'Applicant under 21' }],
  limit_rules: { max_foir: 0.55, max_limit: '2000000', income_multiple: 12 },
  bureau_pull: { bureaus: ['cibil'] },
  adverse_reason_min_impact: 0.2,
} as Policy;

describe('the policy form model', () => {
  it('sends back what it loaded, limit rules parsed from their JSON text', () => {
    const values = toPolicyValues(policy);
    expect(values.limit_rules).toContain('"max_foir": 0.55');
    expect(policyProblem(values)).toBeNull();
    const { version: _version, ...unchanged } = policy;
    expect(toPolicyBody(values)).toEqual(unchanged);
  });

  it('names the first thing that stops a save', () => {
    const values = toPolicyValues(policy);
    expect(policyProblem({ ...values, approve_below_pd: 0.7 })).toMatch(/must be lower/);
    expect(policyProblem({ ...values, limit_rules: '{oops' })).toBe('Limit rules are not valid JSON');
    expect(policyProblem({ ...values, pull_bureaus: [] })).toMatch(/at least one bureau/);
    expect(policyProblem({ ...values, knockout_rules: [...values.knockout_rules, EMPTY_RULE] })).toBe(
      'Rule 2 needs a name, a condition and a reason',
    );
  });
});
