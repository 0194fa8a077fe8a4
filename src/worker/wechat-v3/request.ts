/**
 * One signed API v3 request (docs/wechatpay-v3.md §1–§2): the URL built once, the body serialised once
 * and that very string signed (Authorization over METHOD, path+query as sent, timestamp, nonce, body)
 * and sent with Accept, User-Agent and — in public-key mode — `Wechatpay-Serial: PUB_KEY_ID_…` (§4.3).
 * Nothing here believes the answer: call.ts verifies it.
 */
import { bytesToHex, v3Authorization } from '../../core';
import { ChannelError, type WechatTransports } from '../channel';
import type { Config, V3Settings } from '../platform/config';
import type { CertificateStore } from './certificates-repo';
import { signingKey } from './keys';

export interface V3Deps {
  readonly config: Config;
  readonly v3: V3Settings;
  readonly transports: WechatTransports;
  /** Where platform certificates are kept (D1 in the worker). */
  readonly certificates: CertificateStore;
  /** Per-attempt deadline (default 5 s, as v2). */
  readonly timeoutMs?: number;
  /** Injected so tests of the retry schedule need not wait. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Epoch milliseconds: signatures' timestamps and the ±5 minute window. Default Date.now. */
  readonly now?: () => number;
}

export const DEFAULT_TIMEOUT_MS = 5000;
/** Answers larger than this are refused unread (PROTOCOL): no v3 JSON answer comes near it. */
export const MAX_RESPONSE_BYTES = 64 * 1024;
/** WeChat refuses requests without one (400 INVALID_REQUEST); Workers' fetch sends none by itself. */
export const USER_AGENT = 'wxpay-edge/0.1 (Cloudflare Workers)';

export interface V3Request {
  readonly method: 'GET' | 'POST';
  /** An absolute URL (a download_url), or a path under the API base: `/v3/pay/transactions/jsapi`. */
  readonly url: string;
  /** Serialised once, as sent and signed; absent for GET. */
  readonly body?: unknown;
}

export interface V3RawAnswer {
  readonly status: number;
  readonly headers: Headers;
  /** Exactly the bytes received (the signature covers them). */
  readonly body: Uint8Array;
}

/** The URL a path names: `${payBaseUrl}${path}` (live https://api.mch.weixin.qq.com, sandbox {PUBLIC_BASE_URL}/sandbox). */
export function v3Url(deps: Pick<V3Deps, 'config'>, pathOrUrl: string): URL {
  return /^https?:\/\//.test(pathOrUrl) ? new URL(pathOrUrl) : new URL(deps.config.payBaseUrl + pathOrUrl);
}

/** Reads a body up to `max` bytes; null beyond. */
export async function readUpTo(res: Response, max: number): Promise<Uint8Array | null> {
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > max) {
    await res.body?.cancel().catch(() => undefined);
    return null;
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  return bytes.byteLength > max ? null : bytes;
}

/** Sends one signed request; TIMEOUT / NETWORK when no answer came (outcome unknown). */
export async function sendV3(
  deps: V3Deps,
  req: V3Request,
  { maxBytes = MAX_RESPONSE_BYTES, timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS } = {},
): Promise<V3RawAnswer> {
  const url = v3Url(deps, req.url);
  const body = req.body === undefined ? '' : JSON.stringify(req.body);
  const timestamp = Math.floor((deps.now ?? Date.now)() / 1000);
  const nonce = bytesToHex(crypto.getRandomValues(new Uint8Array(16))).toUpperCase();
  const authorization = await v3Authorization(
    { mchId: deps.config.mchId, serialNo: deps.v3.mchSerial, key: await signingKey(deps.v3) },
    { method: req.method, canonicalUrl: url.pathname + url.search, timestamp, nonce, body },
  );
  const headers: Record<string, string> = { Authorization: authorization, Accept: 'application/json', 'User-Agent': USER_AGENT };
  if (body) headers['Content-Type'] = 'application/json';
  if (deps.v3.payPublicKey) headers['Wechatpay-Serial'] = deps.v3.payPublicKey.id;
  let res: Response;
  try {
    res = await deps.transports.api(url.toString(), { method: req.method, headers, body: body || undefined, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const name = (e as { name?: string } | null)?.name;
    throw new ChannelError(name === 'TimeoutError' || name === 'AbortError' ? 'TIMEOUT' : 'NETWORK');
  }
  let bytes: Uint8Array | null;
  try {
    bytes = await readUpTo(res, maxBytes);
  } catch {
    throw new ChannelError('NETWORK'); // the connection broke mid-answer: the outcome is unknown
  }
  if (!bytes) throw new ChannelError('PROTOCOL');
  return { status: res.status, headers: res.headers, body: bytes };
}
