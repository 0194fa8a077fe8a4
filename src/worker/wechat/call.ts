/**
 * One signed v2 call: build and sign the request, POST it with a deadline, then judge the answer in
 * WeChat's order — return_code, signature, result_code (docs/wechatpay-v2.md §2).
 */
import { buildXml, nonceStr, parseXml, signParams, verifySignedMessage, type SignType } from '../../core';
import { parseFen } from '../../core';
import type { Config } from '../platform/config';
import { withRetries as retry } from '../channel';
import { WechatError, wechatErrorFor } from './errors';
import type { WechatTransport, WechatTransports } from './transport';

export interface WechatDeps {
  readonly config: Config;
  readonly transports: WechatTransports;
  /** Per-attempt deadline; WeChat peers found 2 s too short, so about 5 s. */
  readonly timeoutMs?: number;
  /** Injected so tests of the retry schedule need not wait. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_TIMEOUT_MS = 5000;
const MAX_RESPONSE_BYTES = 64 * 1024;

type RequestFields = Record<string, string | number | undefined>;

/**
 * The common fields plus `fields`, with empty values dropped; refuses values WeChat would trim
 * differently (§3.3). `appId`: the appid the order is placed under (default: the 公众号 appid).
 */
export async function signedRequestXml(config: Config, fields: RequestFields, signType: SignType, appId: string = config.appId): Promise<string> {
  const params: Record<string, string> = {};
  const all: RequestFields = { appid: appId, mch_id: config.mchId, nonce_str: nonceStr(32), sign_type: signType, ...fields };
  for (const [name, value] of Object.entries(all)) {
    if (value === undefined || value === '') continue;
    const text = String(value);
    if (text !== text.trim()) throw new Error(`request field ${name} has leading or trailing whitespace`);
    params[name] = text;
  }
  params.sign = await signParams(params, config.apiKey, signType);
  return buildXml(params);
}

/** POSTs with a deadline; maps transport failures to TIMEOUT / NETWORK (outcome unknown). */
export async function postXml(
  transport: WechatTransport,
  url: string,
  xml: string,
  timeoutMs: number,
): Promise<{ status: number; bytes: Uint8Array; contentType: string }> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await transport(url, { method: 'POST', body: xml, headers: { 'Content-Type': 'text/xml; charset=utf-8' }, signal });
    const bytes = new Uint8Array(await res.arrayBuffer());
    return { status: res.status, bytes, contentType: res.headers.get('Content-Type') ?? '' };
  } catch (e) {
    const name = (e as { name?: string } | null)?.name;
    throw new WechatError(name === 'TimeoutError' || name === 'AbortError' ? 'TIMEOUT' : 'NETWORK');
  }
}

interface CallOptions {
  /** Path under the pay base URL, e.g. `/pay/orderquery`. */
  readonly path: string;
  readonly fields: RequestFields;
  /** The algorithm to sign with and the only one accepted on the answer. */
  readonly signType: SignType;
  /** Use the client-certificate transport (refund). */
  readonly cert?: boolean;
  /**
   * The appid the order was placed under (the channel's `OrderRef.appId`: a mini-program's or an
   * app's); absent: the 公众号 appid. Sent as `appid`, and an answer naming another one is refused.
   */
  readonly appId?: string;
}

/** Returns the verified answer's fields when return_code and result_code are SUCCESS; throws WechatError otherwise. */
export async function callWechat(deps: WechatDeps, opts: CallOptions): Promise<Record<string, string>> {
  const { config } = deps;
  const appId = opts.appId ?? config.appId;
  const xml = await signedRequestXml(config, opts.fields, opts.signType, appId);
  const transport = opts.cert ? deps.transports.cert : deps.transports.api;
  const res = await postXml(transport, config.payBaseUrl + opts.path, xml, deps.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  // A 5xx from WeChat's edge says nothing about whether the call took effect.
  if (res.status >= 500) throw new WechatError('NETWORK');
  if (res.status !== 200 || res.bytes.byteLength > MAX_RESPONSE_BYTES) throw new WechatError('PROTOCOL');
  let answer: Record<string, string>;
  try {
    answer = parseXml(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(res.bytes), { maxBytes: MAX_RESPONSE_BYTES });
  } catch {
    throw new WechatError('PROTOCOL');
  }
  // 1. return_code: a FAIL answer is unsigned and is never success.
  if (answer.return_code !== 'SUCCESS') throw new WechatError('RETURN_FAIL');
  // 2. signature, before anything in the answer is believed (docs/wechatpay-v2.md §2, §3.4).
  const verdict = await verifySignedMessage(answer, config.apiKey, [opts.signType]);
  if (!verdict.ok) throw new WechatError('SIGN_INVALID');
  // From here on only what the signature covered: under the trimmed reading, trimmed values without empty fields.
  answer = verdict.signedFields;
  if ((answer.appid !== undefined && answer.appid !== appId) || (answer.mch_id !== undefined && answer.mch_id !== config.mchId)) {
    throw new WechatError('PROTOCOL');
  }
  // 3. result_code: business success.
  if (answer.result_code !== 'SUCCESS') throw wechatErrorFor(answer.err_code);
  return answer;
}

/** Retries retryable failures with exponential backoff plus jitter (channel/retry.ts). Only for calls that are safe to repeat (queries). */
export function withRetries<T>(deps: WechatDeps, attempt: () => Promise<T>, attempts = 3, baseDelayMs = 200): Promise<T> {
  return retry(attempt, { sleep: deps.sleep, attempts, baseDelayMs });
}

/** A non-negative integer fen field from a verified answer (core parseFen rules); PROTOCOL if malformed. */
export function fenField(answer: Record<string, string>, name: string): number | undefined {
  const v = answer[name];
  if (v === undefined) return undefined;
  try {
    return parseFen(v, { allowZero: true });
  } catch {
    throw new WechatError('PROTOCOL');
  }
}
