/**
 * WeChat OAuth snsapi_base for the checkout (docs/wechatpay-v2.md §5): the authorize redirect with a
 * CSRF state bound to this browser, and its callback's cookie checks; the code → openid exchange is
 * the buyer-identity port's (wechat/oauth.ts).
 *
 * The state is random and also kept in a short-lived signed HttpOnly cookie, with the order to return
 * to and the round (0 = first authorize, 1 = the single fresh round after a reused/expired code).
 * The callback accepts only a state equal to the cookie's, so a forged callback cannot log a buyer
 * in as someone else, and the round caps retries at one: no redirect loop. Each state is also spent
 * server-side on its first callback (d1/oauth-states-repo), so a captured state and cookie cannot
 * be replayed with another code.
 */
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { constantTimeEqual, nonceStr, OUT_TRADE_NO } from '../../../core';
import { SANDBOX_PATH, type Config } from '../../platform/config';
import { purposeMac } from '../../platform/hmac';

const OAUTH_STATE_COOKIE = 'wxpay_oauth';
export const OAUTH_CALLBACK_PATH = '/oauth/callback';
/** A code lives about 5 minutes; the state outlives it a little so a slow authorize still returns. */
const OAUTH_STATE_SECONDS = 10 * 60;

const LIVE_AUTHORIZE_BASE = 'https://open.weixin.qq.com';
/** WeChat allows a-zA-Z0-9 in state, at most 128 bytes. */
const STATE = /^[A-Za-z0-9]{32}$/;

type OauthRound = 0 | 1;

interface OauthState {
  state: string;
  round: OauthRound;
  outTradeNo: string;
}

function mac(secret: string, s: OauthState, expires: number): Promise<string> {
  return purposeMac(secret, 'oauth-state', `${s.state}.${s.round}.${s.outTradeNo}.${expires}`);
}

/** The WeChat (or simulator) authorize URL; WeChat requires this parameter order and the fragment. */
export function authorizeUrl(config: Config, state: string): string {
  const base = config.mode === 'sandbox' ? config.publicBaseUrl + SANDBOX_PATH : LIVE_AUTHORIZE_BASE;
  const redirect = encodeURIComponent(config.publicBaseUrl + OAUTH_CALLBACK_PATH);
  return `${base}/connect/oauth2/authorize?appid=${config.appId}&redirect_uri=${redirect}&response_type=code&scope=snsapi_base&state=${state}#wechat_redirect`;
}

/** Starts an authorize round for `outTradeNo`: sets the state cookie and returns where to redirect. */
export async function beginAuthorize(c: Context, config: Config, outTradeNo: string, round: OauthRound, nowMs: number): Promise<string> {
  const s: OauthState = { state: nonceStr(32), round, outTradeNo };
  const expires = Math.floor(nowMs / 1000) + OAUTH_STATE_SECONDS;
  setCookie(c, OAUTH_STATE_COOKIE, `${s.state}.${s.round}.${s.outTradeNo}.${expires}.${await mac(config.checkoutSecret, s, expires)}`, {
    httpOnly: true,
    secure: true,
    // Lax: sent on the top-level GET back from open.weixin.qq.com, never on cross-site subrequests.
    sameSite: 'Lax',
    path: OAUTH_CALLBACK_PATH,
    maxAge: OAUTH_STATE_SECONDS,
  });
  return authorizeUrl(config, s.state);
}

/** A state read back from its cookie, with the moment that cookie stops being accepted. */
interface PresentedOauthState extends OauthState {
  expiresMs: number;
}

/** The state this browser was given, if its cookie is present, authentic and unexpired. Never throws. */
export async function readOauthState(c: Context, checkoutSecret: string, nowMs: number): Promise<PresentedOauthState | null> {
  const raw = getCookie(c, OAUTH_STATE_COOKIE);
  if (!raw || raw.length > 200) return null;
  const parts = raw.split('.');
  if (parts.length !== 5) return null;
  const [state, roundText, outTradeNo, expiresText, tag] = parts as [string, string, string, string, string];
  if (!STATE.test(state) || (roundText !== '0' && roundText !== '1') || !OUT_TRADE_NO.test(outTradeNo) || !/^\d{1,12}$/.test(expiresText)) return null;
  const s: OauthState = { state, round: roundText === '1' ? 1 : 0, outTradeNo };
  const expires = Number(expiresText);
  if (!constantTimeEqual(await mac(checkoutSecret, s, expires), tag)) return null;
  return expires * 1000 > nowMs ? { ...s, expiresMs: expires * 1000 } : null;
}

export function clearOauthState(c: Context): void {
  deleteCookie(c, OAUTH_STATE_COOKIE, { path: OAUTH_CALLBACK_PATH, secure: true, httpOnly: true, sameSite: 'Lax' });
}

/** The callback's `state` must be exactly the one this browser's cookie holds. */
export function stateMatches(expected: OauthState, received: string | undefined): boolean {
  return typeof received === 'string' && STATE.test(received) && constantTimeEqual(expected.state, received);
}
