/**
 * The v2 signature (docs/wechatpay-v2.md §3): one signer for requests, responses, notifies and paySign.
 * Verification fails closed, compares in constant time and never throws.
 */
import { bytesToHex, constantTimeEqual, isHex } from './hex';
import { hmacSha256 } from './hmac';
import { md5Hex } from './md5';

export type SignType = 'MD5' | 'HMAC-SHA256';
export const SIGN_TYPES: readonly SignType[] = Object.freeze(['MD5', 'HMAC-SHA256'] as const);

type SignableValue = string | number | null | undefined;
type SignableParams = Readonly<Record<string, SignableValue>>;

/** Hex length of each algorithm's output: how an inbound sign's format is checked. */
const HEX_LENGTH: Readonly<Record<SignType, number>> = { MD5: 32, 'HMAC-SHA256': 64 };
const BY_HEX_LENGTH: ReadonlyMap<number, SignType> = new Map([
  [32, 'MD5'],
  [64, 'HMAC-SHA256'],
]);

/** Exactly `MD5` or `HMAC-SHA256`, case-sensitive (config values and inbound `sign_type`). */
export function isSignType(v: unknown): v is SignType {
  return SIGN_TYPES.includes(v as SignType);
}

/**
 * Byte order of the UTF-8 forms, which equals Unicode code point order. JavaScript's default sort
 * compares UTF-16 code units, which agrees for every name below U+D800 (all real WeChat names are
 * ASCII) but puts astral characters before U+E000–U+FFFF; walking code points fixes that.
 */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++; // both strings hold the same pair here
  }
  return a.length - b.length;
}

function isAsciiName(name: string): boolean {
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Values as they are signed; `null` means "skip this field". */
type ValueReading = (value: SignableValue) => string | null;

const rawReading: ValueReading = (v) => (v === undefined || v === null || v === '' ? null : String(v));

/** Java `String.trim()`: strips characters <= U+0020 (not JavaScript's wider Unicode whitespace). */
function javaTrim(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) <= 0x20) start++;
  while (end > start && s.charCodeAt(end - 1) <= 0x20) end--;
  return s.slice(start, end);
}

/** The official Java SDK's reading (§3.3): trim each value, then skip the ones left empty. */
const javaTrimReading: ValueReading = (v) => {
  const raw = rawReading(v);
  if (raw === null) return null;
  const trimmed = javaTrim(raw);
  return trimmed === '' ? null : trimmed;
};

function canonicalWith(params: SignableParams, read: ValueReading): string {
  const names: string[] = [];
  let ascii = true;
  for (const name of Object.keys(params)) {
    if (name === 'sign' || read(params[name]) === null) continue;
    names.push(name);
    if (ascii && !isAsciiName(name)) ascii = false;
  }
  if (ascii) names.sort();
  else names.sort(compareCodePoints);
  let out = '';
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    out += (i === 0 ? '' : '&') + name + '=' + read(params[name]);
  }
  return out;
}

/**
 * The v2 string to sign, without `&key=`: every field except `sign` whose value is neither empty,
 * null nor undefined (unknown fields included), names in UTF-8 byte order, `k=v` joined by `&`,
 * values raw (no escaping, no trimming).
 */
export function canonicalString(params: SignableParams): string {
  return canonicalWith(params, rawReading);
}

/** `stringSignTemp`. An empty field set gives `key=…`, as in the official SDK. */
function stringToSign(canonical: string, key: string): string {
  return canonical === '' ? 'key=' + key : canonical + '&key=' + key;
}

/** MD5 is synchronous; only HMAC needs WebCrypto. Keeping MD5 off the promise path saves the hot verify a few µs. */
function signString(message: string, key: string, signType: SignType): string | Promise<string> {
  switch (signType) {
    case 'MD5':
      return md5Hex(message).toUpperCase();
    case 'HMAC-SHA256':
      return hmacHex(message, key);
    default:
      throw new TypeError('unsupported sign type');
  }
}

async function hmacHex(message: string, key: string): Promise<string> {
  return bytesToHex(await hmacSha256(key, message)).toUpperCase();
}

/**
 * Uppercase hex signature over `canonicalString(params) + '&key=' + key`. For our own outbound
 * messages: a missing key or unknown algorithm throws TypeError.
 */
export async function signParams(params: SignableParams, key: string, signType: SignType): Promise<string> {
  if (typeof key !== 'string' || key === '') throw new TypeError('signing key is missing');
  return signString(stringToSign(canonicalString(params), key), key, signType);
}

/**
 * True only when every value is a string, number, null or undefined: anything else (objects,
 * booleans, symbols) has no defined signed form, so a message holding one cannot verify.
 */
function isSignable(fields: unknown): fields is SignableParams {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return false;
  for (const name of Object.keys(fields)) {
    const v = (fields as Record<string, unknown>)[name];
    if (v !== undefined && v !== null && typeof v !== 'string' && typeof v !== 'number') return false;
  }
  return true;
}

/** The received sign, uppercased, if it has the exact format of `signType`'s output; else null. */
function normalisedSign(received: unknown, signType: SignType): string | null {
  if (typeof received !== 'string' || received.length !== HEX_LENGTH[signType] || !isHex(received)) return null;
  return received.toUpperCase();
}

/** Signatures are compared here and only here, through constantTimeEqual (docs/reliability.md T79). */
async function matches(fields: SignableParams, read: ValueReading, key: string, signType: SignType, received: string) {
  const expected = signString(stringToSign(canonicalWith(fields, read), key), key, signType);
  return constantTimeEqual(received, typeof expected === 'string' ? expected : await expected);
}

/**
 * Verifies `params.sign` under `signType`, over the raw reading. Fails closed: a missing, empty or
 * malformed sign, a non-string key or value, an unknown algorithm all give false. Never throws.
 * Inbound WeChat messages should go through verifySignedMessage (algorithm rule + logging).
 */
export async function verifyParams(params: SignableParams, key: string, signType: SignType): Promise<boolean> {
  try {
    if (!isSignType(signType) || typeof key !== 'string' || key === '' || !isSignable(params)) return false;
    const received = normalisedSign(params.sign, signType);
    if (received === null) return false;
    return await matches(params, rawReading, key, signType, received);
  } catch {
    return false;
  }
}

type SignFailure = 'SIGN_MISSING' | 'SIGN_FORMAT' | 'SIGN_TYPE_NOT_ALLOWED' | 'SIGN_MISMATCH';

type SignedMessageResult =
  /**
   * `trimmedReading`: verified only under the Java-trim reading (§3.3); the caller logs it.
   * `signedFields`: exactly what the signature covers, as that reading signed it (without `sign`):
   * values verbatim or trimmed, empty ones absent. Everything after verification must read these,
   * never the received map: an unsigned empty or whitespace-only field is not part of the message.
   */
  { ok: true; signType: SignType; trimmedReading: boolean; signedFields: Record<string, string> } | { ok: false; reason: SignFailure };

function fail(reason: SignFailure): SignedMessageResult {
  return { ok: false, reason };
}

/** The fields `read` signs, as it signs them (a null-prototype map, like parseXml's). */
function signedFieldsOf(fields: SignableParams, read: ValueReading): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const name of Object.keys(fields)) {
    const value = name === 'sign' ? null : read(fields[name]);
    if (value !== null) out[name] = value;
  }
  return out;
}

function hasEdgeWhitespace(fields: SignableParams): boolean {
  for (const name of Object.keys(fields)) {
    if (name === 'sign') continue;
    const v = fields[name];
    if (typeof v !== 'string' || v === '') continue;
    if (v.charCodeAt(0) <= 0x20 || v.charCodeAt(v.length - 1) <= 0x20) return true;
  }
  return false;
}

/**
 * Verifies an inbound message (notify or API response) under the project rule of
 * docs/wechatpay-v2.md §3.4:
 * 1. `allowed` is the configured algorithm (plus the previous one during a migration);
 * 2. a present `sign_type` must be exactly `MD5` or `HMAC-SHA256` and allowlisted, and is then
 *    the algorithm; any other value (`SHA1`, `hmac-sha256`, `"MD5 "`, empty) is refused;
 * 3. an absent `sign_type` selects the allowlisted algorithm whose output length matches the sign
 *    (32 → MD5, 64 → HMAC-SHA256);
 * 4. `sign` must be exactly that many hex digits; it is uppercased, then compared in constant time.
 * A mismatch is retried once under the Java-trim reading, only when some value has leading or
 * trailing whitespace (§3.3). On success, `signedFields` is the message that reading verified.
 * Never throws; reasons never carry the expected signature.
 */
export async function verifySignedMessage(fields: Readonly<Record<string, unknown>>, key: string, allowed: readonly SignType[]): Promise<SignedMessageResult> {
  try {
    if (typeof fields !== 'object' || fields === null) return fail('SIGN_MISSING');
    const raw = fields.sign;
    if (raw === undefined || raw === null || raw === '') return fail('SIGN_MISSING');
    if (typeof raw !== 'string' || !isHex(raw)) return fail('SIGN_FORMAT');
    if (!isSignable(fields)) return fail('SIGN_FORMAT');
    const allow = Array.isArray(allowed) ? allowed.filter(isSignType) : [];

    let algorithm: SignType;
    const declared = fields.sign_type;
    if (declared !== undefined && declared !== null) {
      if (!isSignType(declared) || !allow.includes(declared)) return fail('SIGN_TYPE_NOT_ALLOWED');
      algorithm = declared;
    } else {
      const byLength = BY_HEX_LENGTH.get(raw.length);
      if (byLength === undefined) return fail('SIGN_FORMAT');
      if (!allow.includes(byLength)) return fail('SIGN_TYPE_NOT_ALLOWED');
      algorithm = byLength;
    }
    const received = normalisedSign(raw, algorithm);
    if (received === null) return fail('SIGN_FORMAT');
    if (typeof key !== 'string' || key === '') return fail('SIGN_MISMATCH');

    if (await matches(fields, rawReading, key, algorithm, received)) {
      return { ok: true, signType: algorithm, trimmedReading: false, signedFields: signedFieldsOf(fields, rawReading) };
    }
    if (hasEdgeWhitespace(fields) && (await matches(fields, javaTrimReading, key, algorithm, received))) {
      return { ok: true, signType: algorithm, trimmedReading: true, signedFields: signedFieldsOf(fields, javaTrimReading) };
    }
    return fail('SIGN_MISMATCH');
  } catch {
    return fail('SIGN_MISMATCH');
  }
}
