/**
 * Money is integer fen (分) end to end (docs/reliability.md I6). The only yuan arithmetic is the exact
 * decimal-string conversion of downloadbill amounts; nothing here ever goes through a float.
 */
import { CoreError } from './errors';

/** A whole number of fen: a non-negative safe integer. Obtain one from parseFen or isFen. */
type Fen = number & { readonly __brand: 'Fen' };

interface FenOptions {
  /** Accept 0 (e.g. `coupon_refund_fee=0`). Charges and refunds need at least 1 fen, the default. */
  allowZero?: boolean;
}

const invalid = (): CoreError => new CoreError('AMOUNT_INVALID', 'amount is not a valid number of fen');

function isDigits(s: string, from: number): boolean {
  if (from >= s.length) return false;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

export function isFen(value: unknown, opts: FenOptions = {}): value is Fen {
  return Number.isSafeInteger(value) && (value as number) >= (opts.allowZero ? 0 : 1);
}

/**
 * A wire amount such as `total_fee`: ASCII digits only, no sign, space, leading zero, decimal point
 * or exponent, at most Number.MAX_SAFE_INTEGER. Throws CoreError('AMOUNT_INVALID').
 */
export function parseFen(s: string, opts: FenOptions = {}): Fen {
  if (typeof s !== 'string' || s.length > 16 || !isDigits(s, 0)) throw invalid();
  if (s.length > 1 && s.charCodeAt(0) === 0x30) throw invalid(); // leading zero
  const value = Number(s);
  if (!isFen(value, opts)) throw invalid();
  return value;
}

/** Display form in yuan, two decimals, no currency sign: 1999 → '19.99', -2 → '-0.02'. */
export function formatYuan(fen: number): string {
  if (!Number.isSafeInteger(fen)) throw invalid();
  const abs = Math.abs(fen);
  const cents = abs % 100;
  return (fen < 0 ? '-' : '') + Math.floor(abs / 100) + '.' + (cents < 10 ? '0' : '') + cents;
}

/**
 * A yuan decimal string to a signed integer count of 10^-`places` yuan, by string arithmetic only.
 * Digits past `places` must be zeros; no float is ever involved.
 */
function yuanToUnits(s: string, places: number): number {
  if (typeof s !== 'string' || s.length === 0 || s.length > 32) throw invalid();
  const negative = s.charCodeAt(0) === 0x2d; // -
  const body = negative ? s.slice(1) : s;
  const dot = body.indexOf('.');
  const whole = dot < 0 ? body : body.slice(0, dot);
  const fraction = dot < 0 ? '' : body.slice(dot + 1);
  if (!isDigits(whole, 0) || (whole.length > 1 && whole.charCodeAt(0) === 0x30)) throw invalid();
  if (dot >= 0 && !isDigits(fraction, 0)) throw invalid(); // '1.' and '1.x'
  for (let i = places; i < fraction.length; i++) if (fraction.charCodeAt(i) !== 0x30) throw invalid();
  const digits = whole + (fraction + '0'.repeat(places)).slice(0, places);
  if (digits.length > 16) throw invalid();
  const units = Number(digits); // an integer digit string: exact while it is a safe integer
  if (!Number.isSafeInteger(units)) throw invalid();
  return negative && units !== 0 ? -units : units;
}

/**
 * A bill amount in yuan ('0.01', '-1.00', '45', '0.04000') to a signed integer number of fen,
 * by string arithmetic. Digits past the second decimal must be zeros: '0.001' is not a fen amount.
 */
export function yuanToFen(s: string): number {
  return yuanToUnits(s, 2);
}

/** 1/1000 fen: the unit of the bill's 5-decimal 手续费 (service charge), so '0.00123' is 123 exactly. */
export type MilliFen = number;

/** A 5-decimal bill fee in yuan ('0.12000', '-0.00006') to a signed integer of 1/1000 fen, exactly. */
export function yuanToMilliFen(s: string): MilliFen {
  return yuanToUnits(s, 5);
}

/** The bill's 5-decimal yuan form of a 1/1000-fen amount: 123 → '0.00123', -3000 → '-0.03000'. */
export function formatYuanMilli(milliFen: MilliFen): string {
  if (!Number.isSafeInteger(milliFen)) throw invalid();
  const abs = Math.abs(milliFen);
  const frac = String(abs % 100_000).padStart(5, '0');
  return (milliFen < 0 ? '-' : '') + Math.floor(abs / 100_000) + '.' + frac;
}
