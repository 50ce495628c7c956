// Reading a model's validation report (model card): the server's ModelReport schema, generated into the client.
import type { Schemas } from '@/client';

export type ModelReport = Schemas['ModelReport'];
export type FairnessGroup = Schemas['FairnessGroup'];

/** A calibration decile as the chart plots it: predicted (mean PD) against observed default rate. */
export interface CalibrationPoint {
  decile: number;
  mean_pd: number;
  default_rate: number;
  count: number;
}

export interface FairnessTable {
  attribute: 'age_band' | 'gender';
  column: string;
  groups: FairnessGroup[];
}

/** The deciles whose predicted and observed rates are both known. */
export function calibrationOf(report: ModelReport): CalibrationPoint[] {
  return report.calibration.flatMap(({ decile, count, mean_pd, default_rate }) =>
    mean_pd == null || default_rate == null ? [] : [{ decile, mean_pd, default_rate, count }],
  );
}

/** One table per attribute the training data revealed (age band, gender). */
export function fairnessOf(report: ModelReport): FairnessTable[] {
  const fairness = report.fairness;
  if (!fairness) return [];
  return (['age_band', 'gender'] as const).flatMap((attribute) => {
    const section = fairness[attribute];
    return section ? [{ attribute, column: section.column, groups: section.groups }] : [];
  });
}

/** Each feature's share of the model's importance: SHAP share where the card has it, else the normalised importance. */
export function importanceOf(report: ModelReport): { feature: string; share: number }[] {
  const items = report.feature_importance.map((r) => ({ feature: r.feature, raw: r.shap_share ?? r.importance }));
  const total = items.reduce((s, r) => s + Math.abs(r.raw), 0) || 1;
  return items.map((r) => ({ feature: r.feature, share: Math.abs(r.raw) / total })).sort((a, b) => b.share - a.share);
}
