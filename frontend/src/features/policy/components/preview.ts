/** Server 422 paths for rules ("body.knockout_rules.2.when") → { "2.when": message }. */
export function ruleErrors(fields: { field: string; message: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const m = /knockout_rules\.(\d+)(?:\.(\w+))?/.exec(f.field);
    if (m) out[`${m[1]}.${m[2] ?? 'when'}`] = f.message.replace(/^Value error, /, '');
  }
  return out;
}
