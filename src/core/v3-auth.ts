// The API v3 request signature (docs/wechatpay-v3.md §2): `Authorization: WECHATPAY2-SHA256-RSA2048`
// with five quoted pairs over `METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n`.
import { rsaSign, v3Lines } from './v3-rsa';

export const V3_AUTH_SCHEME = 'WECHATPAY2-SHA256-RSA2048';

export interface V3Credential {
  readonly mchId: string;
  /** The merchant API certificate's serial (hex), not a WeChat Pay key id. */
  readonly serialNo: string;
  readonly key: CryptoKey;
}

export interface V3RequestToSign {
  readonly method: string;
  /** Path plus `?query`, exactly as sent. */
  readonly canonicalUrl: string;
  /** Unix seconds. */
  readonly timestamp: number;
  readonly nonce: string;
  /** The exact JSON sent; '' for GET. */
  readonly body: string;
}

export function v3RequestMessage(r: V3RequestToSign): string {
  return v3Lines(r.method.toUpperCase(), r.canonicalUrl, String(r.timestamp), r.nonce, r.body);
}

/** The Authorization header value for one request. */
export async function v3Authorization(cred: V3Credential, r: V3RequestToSign): Promise<string> {
  const signature = await rsaSign(cred.key, v3RequestMessage(r));
  return `${V3_AUTH_SCHEME} mchid="${cred.mchId}",nonce_str="${r.nonce}",signature="${signature}",timestamp="${r.timestamp}",serial_no="${cred.serialNo}"`;
}

export interface V3AuthorizationFields {
  readonly mchid: string;
  readonly nonce_str: string;
  readonly signature: string;
  readonly timestamp: string;
  readonly serial_no: string;
}

const PAIR = /^\s*([a-z_]+)="([^"]*)"\s*$/;
const NAMES = ['mchid', 'nonce_str', 'signature', 'timestamp', 'serial_no'] as const;

/** The five pairs of an Authorization header (any order, each once), or null when it is not one. */
export function parseV3Authorization(header: string | null | undefined): V3AuthorizationFields | null {
  if (!header?.startsWith(`${V3_AUTH_SCHEME} `)) return null;
  const out: Record<string, string> = {};
  for (const part of header.slice(V3_AUTH_SCHEME.length + 1).split(',')) {
    const m = PAIR.exec(part);
    if (!m || !(NAMES as readonly string[]).includes(m[1]!) || m[1]! in out) return null;
    out[m[1]!] = m[2]!;
  }
  return NAMES.every((n) => n in out) ? (out as unknown as V3AuthorizationFields) : null;
}
