// The API v3 part of the configuration (docs/configuration.md, docs/wechatpay-v3.md §2, §4, §5.1): the
// APIv3 key, the merchant's API private key and its certificate serial, and the optional WeChat Pay
// public key. Pure and synchronous like the rest of config.ts: keys are checked for their structure
// here (PEM armour, base64, DER shape and size) and imported into WebCrypto lazily, once per isolate,
// by the channel (wechat-v3/keys.ts), where an import failure is CONFIG_INVALID too. Problems name
// variables, never values.
import {
  base64Decode,
  SANDBOX_APIV3_KEY,
  SANDBOX_MCH_PRIVATE_KEY,
  SANDBOX_MCH_SERIAL,
  SANDBOX_PAY_PRIVATE_KEY,
  SANDBOX_PAY_PUBLIC_KEY,
  SANDBOX_PLATFORM_PRIVATE_KEY,
  SANDBOX_PUB_KEY_ID,
} from '../../core';

export type ApiVersion = 'v2' | 'v3';

/** What the v3 channel signs, decrypts and verifies with. */
export interface V3Settings {
  /** The APIv3 key: exactly 32 bytes (AES-256-GCM of notifies and the certificate list). */
  readonly apiV3Key: string;
  /** The merchant's API private key (apiclient_key.pem), PKCS#8 PEM as configured. */
  readonly mchPrivateKey: string;
  /** The serial of the merchant's API certificate, upper-case hex (the Authorization's serial_no). */
  readonly mchSerial: string;
  /** 微信支付公钥 mode: the public key (SPKI PEM) and its id; null: platform certificates only. */
  readonly payPublicKey: { readonly id: string; readonly pem: string } | null;
}

/** The v3 variables that hold secrets (the log scrubber redacts their values). */
export const V3_SECRET_VARS = ['WECHAT_APIV3_KEY', 'WECHAT_MCH_PRIVATE_KEY'] as const;

/** Published APIv3 keys: the simulator's and the official SDK tests' (docs/wechatpay-v3.md §10 V10). Refused in live mode. */
export const DOCUMENTED_APIV3_KEYS: ReadonlySet<string> = new Set([SANDBOX_APIV3_KEY, 'a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb']);

const RSA_ENCRYPTION_OID = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/** DER sizes of RSA keys from 2048 to 4096 bits (a 2048-bit PKCS#8 key is about 1,217 bytes, its SPKI 294). */
const PKCS8_BYTES = { min: 1150, max: 2500 };
const SPKI_BYTES = { min: 290, max: 600 };
const SERIAL = /^[0-9A-Fa-f]{1,40}$/;
const PUB_KEY_ID = /^PUB_KEY_ID_[0-9]{1,48}$/;

/** The DER body of the one `label` block of a PEM, or null (no block, more than one, not base64). */
function pemBody(pem: string, label: string): Uint8Array<ArrayBuffer> | null {
  const blocks = [...pem.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)];
  if (blocks.length !== 1 || blocks[0]![1] !== label) return null;
  if (pem.replace(blocks[0]![0], '').trim() !== '') return null;
  return base64Decode(blocks[0]![2]!.replace(/\s+/g, ''));
}

/** One DER SEQUENCE spanning exactly the bytes, of a plausible size, about an RSA key. */
function isRsaDer(der: Uint8Array, size: { min: number; max: number }): boolean {
  if (der.length < size.min || der.length > size.max || der[0] !== 0x30) return false;
  const first = der[1]!;
  let length = first;
  let header = 2;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n < 1 || n > 2) return false;
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + der[2 + i]!;
    header = 2 + n;
  }
  if (header + length !== der.length) return false;
  const head = der.subarray(0, 48);
  return head.some((_, i) => RSA_ENCRYPTION_OID.every((b, j) => head[i + j] === b));
}

function sameBytes(a: Uint8Array, b: Uint8Array | null): boolean {
  return b !== null && a.length === b.length && a.every((x, i) => x === b[i]);
}

const SANDBOX_PRIVATE_DERS = [SANDBOX_MCH_PRIVATE_KEY, SANDBOX_PAY_PRIVATE_KEY, SANDBOX_PLATFORM_PRIVATE_KEY].map((k) => pemBody(k, 'PRIVATE KEY'));
const SANDBOX_PUBLIC_DER = pemBody(SANDBOX_PAY_PUBLIC_KEY, 'PUBLIC KEY');

/** Why the private key cannot be the merchant's API key, or null. */
function privateKeyProblem(pem: string, live: boolean): string | null {
  const name = 'WECHAT_MCH_PRIVATE_KEY';
  if (/-----BEGIN RSA PRIVATE KEY-----/.test(pem)) {
    return `${name} is a PKCS#1 key (BEGIN RSA PRIVATE KEY); WebCrypto imports PKCS#8 only: convert it with openssl pkcs8 -topk8 -nocrypt -in apiclient_key.pem`;
  }
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(pem)) return `${name} is encrypted; configure the unencrypted PKCS#8 apiclient_key.pem`;
  const der = pemBody(pem, 'PRIVATE KEY');
  if (!der) return `${name} is not one PEM block BEGIN PRIVATE KEY with a base64 body`;
  if (!isRsaDer(der, PKCS8_BYTES)) return `${name} is not a PKCS#8 RSA private key of 2048 to 4096 bits`;
  if (live && SANDBOX_PRIVATE_DERS.some((k) => sameBytes(der, k))) return `${name} is a sandbox test key and is refused in live mode`;
  return null;
}

/** Why the public key cannot be the WeChat Pay public key, or null. */
function publicKeyProblem(pem: string, live: boolean): string | null {
  const name = 'WECHAT_PAY_PUBLIC_KEY';
  if (/-----BEGIN RSA PUBLIC KEY-----/.test(pem))
    return `${name} is a PKCS#1 key (BEGIN RSA PUBLIC KEY); configure pub_key.pem as downloaded (BEGIN PUBLIC KEY)`;
  const der = pemBody(pem, 'PUBLIC KEY');
  if (!der) return `${name} is not one PEM block BEGIN PUBLIC KEY with a base64 body`;
  if (!isRsaDer(der, SPKI_BYTES)) return `${name} is not an RSA public key (SPKI) of 2048 to 4096 bits`;
  if (live && sameBytes(der, SANDBOX_PUBLIC_DER)) return `${name} is the sandbox's test key and is refused in live mode`;
  return null;
}

function text(env: Record<string, unknown>, name: string): string | undefined {
  const v = env[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * The v3 settings: read when WECHAT_API_VERSION is v3, and always in sandbox mode (where unset values
 * are the simulator's test keys, so the simulator can speak v3 to any sandbox gateway). Live mode on
 * API v2 ignores them (null). In sandbox mode an unset public-key pair is the simulator's; both set
 * to an empty string mean none (platform-certificate mode).
 */
export function v3SettingsOf(
  env: Record<string, unknown>,
  mode: 'sandbox' | 'live',
  apiVersion: ApiVersion,
): { settings: V3Settings | null; problems: string[] } {
  const live = mode === 'live';
  if (live && apiVersion === 'v2') return { settings: null, problems: [] };
  const problems: string[] = [];
  const required = (name: string, sandboxDefault: string): string | undefined => {
    const v = text(env, name);
    if (v !== undefined && v !== '') return v;
    if (!live) return sandboxDefault;
    problems.push(`${name} is missing (required with WECHAT_API_VERSION=v3)`);
    return undefined;
  };

  const apiV3Key = required('WECHAT_APIV3_KEY', SANDBOX_APIV3_KEY);
  if (apiV3Key !== undefined) {
    if (/\s/.test(apiV3Key)) problems.push('WECHAT_APIV3_KEY contains whitespace');
    else if (new TextEncoder().encode(apiV3Key).length !== 32) problems.push('WECHAT_APIV3_KEY must be exactly 32 bytes');
    else if (live && DOCUMENTED_APIV3_KEYS.has(apiV3Key)) problems.push('WECHAT_APIV3_KEY is a documented example value and is refused in live mode');
  }

  const mchPrivateKey = required('WECHAT_MCH_PRIVATE_KEY', SANDBOX_MCH_PRIVATE_KEY);
  const keyProblem = mchPrivateKey === undefined ? null : privateKeyProblem(mchPrivateKey, live);
  if (keyProblem) problems.push(keyProblem);

  const serial = required('WECHAT_MCH_SERIAL', SANDBOX_MCH_SERIAL)?.trim();
  if (serial !== undefined) {
    if (!SERIAL.test(serial)) problems.push('WECHAT_MCH_SERIAL is not a certificate serial (up to 40 hex digits)');
    else if (live && serial.toUpperCase() === SANDBOX_MCH_SERIAL) problems.push('WECHAT_MCH_SERIAL is the sandbox test serial and is refused in live mode');
  }

  let payPublicKey: V3Settings['payPublicKey'] = null;
  const rawId = text(env, 'WECHAT_PAY_PUBLIC_KEY_ID');
  const rawPem = text(env, 'WECHAT_PAY_PUBLIC_KEY');
  if (!live && rawId === undefined && rawPem === undefined) {
    payPublicKey = { id: SANDBOX_PUB_KEY_ID, pem: SANDBOX_PAY_PUBLIC_KEY };
  } else if (!rawId !== !rawPem) {
    problems.push('WECHAT_PAY_PUBLIC_KEY and WECHAT_PAY_PUBLIC_KEY_ID must be set together (or neither: platform certificates)');
  } else if (rawId && rawPem) {
    const id = rawId.trim();
    if (!PUB_KEY_ID.test(id)) problems.push('WECHAT_PAY_PUBLIC_KEY_ID is not a public key id (PUB_KEY_ID_ and digits)');
    else if (live && id === SANDBOX_PUB_KEY_ID) problems.push('WECHAT_PAY_PUBLIC_KEY_ID is the sandbox test id and is refused in live mode');
    const p = publicKeyProblem(rawPem, live);
    if (p) problems.push(p);
    payPublicKey = { id, pem: rawPem };
  }

  if (problems.length || apiV3Key === undefined || mchPrivateKey === undefined || serial === undefined) return { settings: null, problems };
  return { settings: { apiV3Key, mchPrivateKey, mchSerial: serial.toUpperCase(), payPublicKey }, problems: [] };
}

/** The secret v3 values set in `env`, as the scrubber must find them: whole, and a PEM's base64 body alone. */
export function v3SecretValues(env: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const name of V3_SECRET_VARS) {
    const v = text(env, name);
    if (!v || v.length < 8) continue;
    out.push(v);
    const body = /-----BEGIN [A-Z ]+-----([\s\S]*?)-----END/.exec(v)?.[1]?.replace(/\s+/g, '');
    if (body) out.push(body);
  }
  return out;
}
