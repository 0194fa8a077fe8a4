// The buyer-identity port of WeChat's platform (docs/wechatpay-v2.md §5; docs/wechatpay-v2.md §23.3): an
// OAuth code → the buyer's openid under the 公众号 appid, and a mini-program's wx.login() code → the
// openid under the mini-program's appid, against live WeChat or the embedded simulator.
import type { BuyerIdentity, CodeExchange } from '../channel';
import { SANDBOX_PATH, type Config } from '../platform/config';
import type { WechatTransport } from './transport';

const OAUTH_EXCHANGE_TIMEOUT_MS = 5_000;
const LIVE_SNS_BASE = 'https://api.weixin.qq.com';
/** 40029 invalid code, 40163 code been used: restart the redirect (or wx.login()), never retry the exchange (§5). */
const CODE_REJECTED = new Set([40029, 40163]);

type Refusal = Extract<CodeExchange, { ok: false }>;

function snsBase(config: Config): string {
  return config.mode === 'sandbox' ? config.publicBaseUrl + SANDBOX_PATH : LIVE_SNS_BASE;
}

/**
 * GETs an sns endpoint and reads its JSON answer: the openid and the rest of the body, or why not.
 * The URL carries an AppSecret, so it is never logged, and nothing here throws.
 */
async function snsOpenid(transport: WechatTransport, url: string): Promise<{ ok: true; openid: string; body: Record<string, unknown> } | Refusal> {
  let body: Record<string, unknown>;
  try {
    const res = await transport(url, { method: 'GET', signal: AbortSignal.timeout(OAUTH_EXCHANGE_TIMEOUT_MS) });
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
  // Its format is checked again where it is used (the session cookie, an order).
  if (typeof openid !== 'string' || openid.length === 0 || openid.length > 128) return { ok: false, reason: 'UNAVAILABLE' };
  return { ok: true, openid, body };
}

/**
 * `sns/oauth2/access_token`: code → openid. The web access_token in the answer is discarded; the
 * AppSecret is in the URL, so the URL is never logged.
 */
export async function exchangeCode(transport: WechatTransport, config: Config, code: string): Promise<CodeExchange> {
  const query = new URLSearchParams({ appid: config.appId, secret: config.appSecret, code, grant_type: 'authorization_code' });
  const answer = await snsOpenid(transport, `${snsBase(config)}/sns/oauth2/access_token?${query}`);
  if (!answer.ok) return answer;
  const snapshot = answer.body.is_snapshotuser;
  return { ok: true, openid: answer.openid, snapshotUser: snapshot === 1 || snapshot === '1' };
}

/**
 * `sns/jscode2session` (docs/wechatpay-v2.md §23.3): a mini-program's wx.login() code → the buyer's openid
 * under the mini-program's appid. The session_key (and any unionid) in the answer are discarded; the
 * mini-program's AppSecret is in the URL, so the URL is never logged. Errcodes: 40029/40163 →
 * CODE_REJECTED (a fresh wx.login()), any other (-1 busy, 45011 rate limit, 40226 blocked user, 40125
 * bad secret) → REFUSED; without a mini-program (MINIPROGRAM not enabled) → UNAVAILABLE, no call.
 */
export async function jscode2session(transport: WechatTransport, config: Config, jsCode: string): Promise<CodeExchange> {
  const mini = config.miniProgram;
  if (!mini) return { ok: false, reason: 'UNAVAILABLE' };
  const query = new URLSearchParams({ appid: mini.appId, secret: mini.secret, js_code: jsCode, grant_type: 'authorization_code' });
  const answer = await snsOpenid(transport, `${snsBase(config)}/sns/jscode2session?${query}`);
  if (!answer.ok) return answer;
  return { ok: true, openid: answer.openid, snapshotUser: false };
}

/** The buyer-identity port over `transport`. */
export function wechatIdentity(transport: WechatTransport, config: Config): BuyerIdentity {
  return {
    oauthOpenid: (code) => exchangeCode(transport, config, code),
    miniProgramOpenid: (jsCode) => jscode2session(transport, config, jsCode),
  };
}
