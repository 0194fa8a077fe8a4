// How much a configured secret resists guessing, judged from its text alone. A live ADMIN_TOKEN or
// CHECKOUT_SECRET must carry at least 128 bits: a value an attacker can test offline (or online
// for years) must not be findable. Generated values pass; typed ones (`aaaa…`, a repeated word, a
// keyboard run) do not. The rules never see where a value came from, so they err towards refusing.

const MIN_SECRET_BITS = 128;

/** The alphabet a value was plausibly drawn from: hex when it is only hex, else its character classes. */
function alphabetSize(v: string): number {
  if (/^[0-9a-f]+$/.test(v) || /^[0-9A-F]+$/.test(v)) return 16;
  let size = 0;
  if (/[a-z]/.test(v)) size += 26;
  if (/[A-Z]/.test(v)) size += 26;
  if (/[0-9]/.test(v)) size += 10;
  if (/[-_]/.test(v)) size += 2;
  if (/[^A-Za-z0-9_-]/.test(v)) size += 32;
  return size;
}

/** The shortest p such that the value repeats itself every p characters (its length when it does not). */
function period(v: string): number {
  for (let p = 1; p <= v.length / 2; p++) {
    let repeats = true;
    for (let i = p; i < v.length && repeats; i++) repeats = v[i] === v[i - p];
    if (repeats) return p;
  }
  return v.length;
}

/** Distinct 4-character windows over all windows: a repeated word or pattern reuses its windows. */
function windowVariety(v: string): number {
  const total = v.length - 3;
  if (total <= 0) return 0;
  const seen = new Set<string>();
  for (let i = 0; i < total; i++) seen.add(v.slice(i, i + 4));
  return seen.size / total;
}

/** Share of neighbours one code point apart (`abcd`, `4321`): a keyboard or alphabet run. */
function runShare(v: string): number {
  let steps = 0;
  for (let i = 1; i < v.length; i++) if (Math.abs(v.charCodeAt(i) - v.charCodeAt(i - 1)) === 1) steps++;
  return v.length > 1 ? steps / (v.length - 1) : 1;
}

/** Why `value` is too weak to be a live secret, or null when it is strong enough. Never quotes the value. */
export function weakSecretReason(value: string): string | null {
  const bits = value.length * Math.log2(alphabetSize(value) || 1);
  if (bits < MIN_SECRET_BITS) return `carries fewer than ${MIN_SECRET_BITS} bits (use at least 32 random base64url characters)`;
  if (new Set(value).size < 8 || period(value) < value.length || windowVariety(value) < 0.75 || runShare(value) > 0.5) {
    return 'has too little variety to be a generated secret';
  }
  return null;
}
