// The buyer-identity port of WeChat's 公众号 platform (docs/wechatpay-v2.md §5): an OAuth code → the
// buyer's openid under the 公众号 appid, against live WeChat or the embedded simulator.
import type { BuyerIdentity, CodeExchange } from '../channel';
import { SANDBOX_PATH, type Config } from '../platform/config';
import type { WechatTransport } from './transport';

const OAUTH_EXCHANGE_TIMEOUT_MS = 5_000;
const LIVE_SNS_BASE = 'https://api.weixin.qq.com';
/** 40029 invalid code, 40163 code been used: restart the redirect, never retry the exchange (§5). */
const CODE_REJECTED = new Set([40029, 40163]);

/**
 * `sns/oauth2/access_token`: code → openid. The web access_token in the answer is discarded; the
 * AppSecret is in the URL, so the URL is never logged.
 */
export async function exchangeCode(transport: WechatTransport, config: Config, code: string): Promise<CodeExchange> {
  const base = config.mode === 'sandbox' ? config.publicBaseUrl + SANDBOX_PATH : LIVE_SNS_BASE;
  const query = new URLSearchParams({ appid: config.appId, secret: config.appSecret, code, grant_type: 'authorization_code' });
  let body: Record<string, unknown>;
  try {
    const res = await transport(`${base}/sns/oauth2/access_token?${query}`, {
      method: 'GET',
      signal: AbortSignal.timeout(OAUTH_EXCHANGE_TIMEOUT_MS),
    });
    if (!res.ok) return { ok: false, reason: 'UNAVAILABLE' };
    const parsed: unknown = JSON.parse(await res.text());
    if (typeof parsed !== 'object' || parsed === null) return { ok: false, reason: 'UNAVAILABLE' };
    body = parsed as Record<string, unknown>;
  } catch {
    return { ok: false, reason: 'UNAVAILABLE' };
  }
  const errcode = body.errcode;
  if (typeof errcode === 'number' && errcode !== 0) {
    return { ok: false, reason: CODE_REJECTED.has(errcode) ? 'CODE_REJECTED' : 'REFUSED', errcode };
  }
  const openid = body.openid;
  // Its format is checked again where the session cookie is issued.
  if (typeof openid !== 'string' || openid.length === 0 || openid.length > 128) return { ok: false, reason: 'UNAVAILABLE' };
  const snapshot = body.is_snapshotuser;
  return { ok: true, openid, snapshotUser: snapshot === 1 || snapshot === '1' };
}

/** The buyer-identity port over `transport`. */
export function wechatIdentity(transport: WechatTransport, config: Config): BuyerIdentity {
  return { oauthOpenid: (code) => exchangeCode(transport, config, code), miniProgramOpenid: async () => ({ ok: false, reason: 'UNAVAILABLE' }) };
}
