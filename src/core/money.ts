/**
 * Money is integer fen (分) end to end (docs/reliability.md I6). The only yuan arithmetic is the exact
 * decimal-string conversion of downloadbill amounts; nothing here ever goes through a float.
 */
import { CoreError } from './errors';

/** A whole number of fen: a non-negative safe integer. Obtain one from parseFen or isFen. */
export type Fen = number & { readonly __brand: 'Fen' };

export interface FenOptions {
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
 * A bill amount in yuan ('0.01', '-1.00', '45', '0.04000') to a signed integer number of fen,
 * by string arithmetic. Digits past the second decimal must be zeros: '0.001' is not a fen amount.
 */
export function yuanToFen(s: string): number {
  if (typeof s !== 'string' || s.length === 0 || s.length > 32) throw invalid();
  const negative = s.charCodeAt(0) === 0x2d; // -
  const body = negative ? s.slice(1) : s;
  const dot = body.indexOf('.');
  const whole = dot < 0 ? body : body.slice(0, dot);
  const fraction = dot < 0 ? '' : body.slice(dot + 1);
  if (!isDigits(whole, 0) || (whole.length > 1 && whole.charCodeAt(0) === 0x30)) throw invalid();
  if (dot >= 0 && !isDigits(fraction, 0)) throw invalid(); // '1.' and '1.x'
  for (let i = 2; i < fraction.length; i++) if (fraction.charCodeAt(i) !== 0x30) throw invalid();
  const digits = whole + (fraction + '00').slice(0, 2);
  if (digits.length > 16) throw invalid();
  const fen = Number(digits); // an integer digit string: exact while it is a safe integer
  if (!Number.isSafeInteger(fen)) throw invalid();
  return negative && fen !== 0 ? -fen : fen;
}
