import { describe, expect, it } from 'vitest';
import { ruleErrors } from './preview';

describe('knock-out rule errors', () => {
  it('places 422 field errors on the rule that caused them', () => {
    // The server's refusal of an expression that does not compile (scoring/policy.py).
    expect(ruleErrors([{ field: 'body.knockout_rules.1.when', message: 'Unexpected end of unary expression at (15, 15)' }])).toEqual({
      '1.when': 'Unexpected end of unary expression at (15, 15)',
    });
    expect(ruleErrors([{ field: 'body.knockout_rules.0.reason', message: 'Value error, too long' }])).toEqual({ '0.reason': 'too long' });
    expect(ruleErrors([{ field: 'body.lgd', message: 'too big' }])).toEqual({});
  });
});
