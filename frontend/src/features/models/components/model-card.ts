// Reading a model's validation report / model card defensively: the registry stores it as JSON.

export type Card = Record<string, unknown>;

export interface CalibrationRow {
  decile: number;
  mean_pd: number;
  default_rate: number;
  count?: number;
}

export interface FairnessGroup {
  group: string;
  count: number;
  approval_rate: number | null;
  approval_rate_ratio: number | null;
  auc: number | null;
  default_rate: number | null;
  flagged: boolean;
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The card object of a model, whatever the server names it. */
export function cardOf(model: Record<string, unknown>): Card | null {
  for (const key of ['card', 'model_card', 'report', 'validation_report']) {
    if (isObj(model[key])) return model[key] as Card;
  }
  return null;
}

export function calibrationOf(card: Card | null): CalibrationRow[] {
  const rows = card?.calibration;
  if (!Array.isArray(rows)) return [];
  return rows.filter(isObj).map((r, i) => ({
    decile: Number(r.decile ?? r.bin ?? i + 1),
    mean_pd: Number(r.mean_pd ?? r.predicted ?? 0),
    default_rate: Number(r.default_rate ?? r.observed ?? 0),
    count: r.count === undefined ? undefined : Number(r.count),
  }));
}

export function fairnessOf(card: Card | null): { attribute: string; column?: string; groups: FairnessGroup[] }[] {
  const f = card?.fairness;
  if (!isObj(f)) return [];
  const out: { attribute: string; column?: string; groups: FairnessGroup[] }[] = [];
  for (const [attribute, section] of Object.entries(f)) {
    if (!isObj(section) || !Array.isArray(section.groups)) continue;
    out.push({
      attribute,
      column: typeof section.column === 'string' ? section.column : undefined,
      groups: section.groups.filter(isObj).map((g) => ({
        group: String(g.group),
        count: Number(g.count ?? 0),
        approval_rate: g.approval_rate == null ? null : Number(g.approval_rate),
        approval_rate_ratio: g.approval_rate_ratio == null ? null : Number(g.approval_rate_ratio),
        auc: g.auc == null ? null : Number(g.auc),
        default_rate: g.default_rate == null ? null : Number(g.default_rate),
        flagged: g.flagged === true,
      })),
    });
  }
  return out;
}

export function importanceOf(card: Card | null): { feature: string; share: number }[] {
  const rows = card?.feature_importance;
  if (!Array.isArray(rows)) return [];
  const items = rows.filter(isObj).map((r) => ({ feature: String(r.feature), raw: Number(r.shap_share ?? r.importance ?? 0) }));
  const total = items.reduce((s, r) => s + Math.abs(r.raw), 0) || 1;
  return items.map((r) => ({ feature: r.feature, share: Math.abs(r.raw) / total })).sort((a, b) => b.share - a.share);
}
