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
