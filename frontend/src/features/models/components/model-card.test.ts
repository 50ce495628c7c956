import { describe, expect, it } from 'vitest';
import { calibrationOf, fairnessOf, importanceOf, type ModelReport } from './model-card';

const group = {
  group: '18-25',
  count: 90,
  default_rate: 0.3,
  approval_rate: 0.4,
  mean_pd: 0.2,
  auc: 0.7,
  approval_rate_ratio: 0.62,
  sufficient_sample: true,
  flagged: true,
};

/** A card with only the sections the page draws; every other section empty, as the server sends a partial card. */
const report: ModelReport = {
  algorithm: 'lightgbm',
  feature_set: 'application',
  target: null,
  split: null,
  features: [],
  excluded_columns: [],
  metrics: null,
  validation_metrics: null,
  train_metrics: null,
  calibration: [
    { decile: 1, count: 100, min_pd: 0.0, max_pd: 0.03, mean_pd: 0.02, default_rate: 0.01 },
    { decile: 2, count: 100, min_pd: 0.03, max_pd: 0.07, mean_pd: 0.05, default_rate: 0.06 },
    { decile: 3, count: 0, min_pd: null, max_pd: null, mean_pd: null, default_rate: null },
  ],
  confusion: null,
  feature_importance: [
    { feature: 'foir', importance: 0.7, mean_abs_shap: 0.2, shap_share: 0.4 },
    { feature: 'bureau_score', importance: 0.3, mean_abs_shap: 0.3, shap_share: 0.6 },
  ],
  baseline: null,
  fairness: {
    threshold: 0.8,
    approve_below: 0.3,
    age_band: { column: 'age', groups: [group], reference_approval_rate: 0.65, flagged: ['18-25'] },
    gender: null,
    flags: [{ attribute: 'age_band', group: '18-25' }],
  },
  oracle: null,
  auc: 0.8,
  gini: 0.6,
  ks: 0.45,
  brier: 0.1,
  points_table: null,
  training: null,
  checksum: null,
  synthetic: null,
  swap_set: null,
};

describe('model card reading', () => {
  it('plots the deciles whose predicted and observed rates are known', () => {
    expect(calibrationOf(report)).toEqual([
      { decile: 1, mean_pd: 0.02, default_rate: 0.01, count: 100 },
      { decile: 2, mean_pd: 0.05, default_rate: 0.06, count: 100 },
    ]);
  });
  it('gives one fairness table per attribute the data revealed', () => {
    const fairness = fairnessOf(report);
    expect(fairness).toEqual([{ attribute: 'age_band', column: 'age', groups: [group] }]);
    expect(fairnessOf({ ...report, fairness: null })).toEqual([]);
  });
  it('ranks features by SHAP share, or by importance when the card has no SHAP', () => {
    expect(importanceOf(report).map((r) => r.feature)).toEqual(['bureau_score', 'foir']);
    expect(importanceOf(report)[0]!.share).toBeCloseTo(0.6);
    const scorecard = report.feature_importance.map((r) => ({ ...r, mean_abs_shap: null, shap_share: null }));
    expect(importanceOf({ ...report, feature_importance: scorecard })[0]).toEqual({ feature: 'foir', share: 0.7 });
  });
  it('reads an empty card as nothing to draw', () => {
    const empty = { ...report, calibration: [], feature_importance: [], fairness: null };
    expect([calibrationOf(empty), fairnessOf(empty), importanceOf(empty)]).toEqual([[], [], []]);
  });
});
