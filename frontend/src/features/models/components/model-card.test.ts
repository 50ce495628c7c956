import { describe, expect, it } from 'vitest';
import { calibrationOf, cardOf, fairnessOf, importanceOf } from './model-card';

const model = {
  id: 'm1',
  report: {
    calibration: [
      { decile: 1, count: 100, mean_pd: 0.02, default_rate: 0.01 },
      { decile: 2, count: 100, mean_pd: 0.05, default_rate: 0.06 },
    ],
    fairness: {
      threshold: 0.8,
      age_band: {
        column: 'age',
        groups: [{ group: '18-25', count: 90, approval_rate: 0.4, approval_rate_ratio: 0.62, auc: 0.7, default_rate: 0.3, flagged: true }],
      },
      gender: null,
    },
    feature_importance: [
      { feature: 'bureau_score', importance: 30, shap_share: 0.6 },
      { feature: 'foir', importance: 20, shap_share: 0.4 },
    ],
  },
};

describe('model card reading', () => {
  it('finds the card under the name the server uses', () => {
    expect(cardOf(model)).toBe(model.report);
    expect(cardOf({ card: { a: 1 } })).toEqual({ a: 1 });
    expect(cardOf({})).toBeNull();
  });
  it('reads calibration, fairness sections and importance shares', () => {
    const card = cardOf(model);
    expect(calibrationOf(card)).toEqual([
      { decile: 1, mean_pd: 0.02, default_rate: 0.01, count: 100 },
      { decile: 2, mean_pd: 0.05, default_rate: 0.06, count: 100 },
    ]);
    const fairness = fairnessOf(card);
    expect(fairness).toHaveLength(1);
    expect(fairness[0]!.groups[0]).toMatchObject({ group: '18-25', flagged: true, approval_rate_ratio: 0.62 });
    expect(importanceOf(card).map((r) => r.feature)).toEqual(['bureau_score', 'foir']);
    expect(importanceOf(card)[0]!.share).toBeCloseTo(0.6);
  });
});
