// The configuration tests' two outcomes: accepted (the parsed Config), or refused with problems that
// never repeat a configured secret, key or appid (nor any line of a multi-line PEM).
import { expect } from 'vitest';
import { parseConfig, type Config } from '../../src/worker/platform/config';

const QUOTE_NEVER = /SECRET|KEY|TOKEN|APPID|WAP_NAME/;

export function accepted(vars: Record<string, string>): Config {
  const r = parseConfig(vars);
  if (!r.ok) throw new Error(`refused: ${r.problems.join('; ')}`);
  return r.config;
}

/** The problems, after checking that none of them quotes a configured secret, key or appid (or a piece of one). */
export function refused(vars: Record<string, string>): string[] {
  const r = parseConfig(vars);
  if (r.ok) throw new Error('accepted');
  const text = r.problems.join('\n');
  for (const [name, value] of Object.entries(vars)) {
    if (!QUOTE_NEVER.test(name) || !value.trim()) continue;
    expect(text, name).not.toContain(value.trim());
    for (const line of value.split('\n').filter((l) => l.length >= 16)) expect(text, name).not.toContain(line);
  }
  return r.problems;
}

/** A days knob (HOT_DAYS, EVIDENCE_DAYS, HISTORY_DAYS) set to `v` on top of `vars`: the parsed number of days, or the problems. */
export function daysKnob(vars: object, name: string, field: 'hotDays' | 'evidenceDays' | 'historyDays') {
  return (v: unknown): number | string[] => {
    const r = parseConfig({ ...vars, [name]: v } as unknown as Record<string, unknown>);
    return r.ok ? r.config[field] : r.problems;
  };
}
