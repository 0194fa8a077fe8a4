// The buyer's OAuth openid, kept in a cookie MACed with a key derived from CHECKOUT_SECRET: `wxpay_oid=<openid>.<expiresEpochSec>.<hmac>`.
import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { constantTimeEqual, OPENID } from '../../core';
import { purposeMac } from './hmac';

export const OAUTH_COOKIE = 'wxpay_oid';
/** Short-lived: long enough for one checkout, short enough that a shared device forgets the buyer. */
const OAUTH_SESSION_SECONDS = 30 * 60;

function mac(secret: string, openid: string, expires: number): Promise<string> {
  return purposeMac(secret, 'oauth-openid', `${openid}.${expires}`);
}

/** Sets the HttpOnly, Secure, SameSite=Lax session cookie for `openid` (the checkout's OAuth callback calls this). */
export async function issueOauthSession(c: Context, checkoutSecret: string, openid: string, nowMs: number): Promise<void> {
  if (!OPENID.test(openid)) throw new Error('openid has an unexpected format');
  const expires = Math.floor(nowMs / 1000) + OAUTH_SESSION_SECONDS;
  setCookie(c, OAUTH_COOKIE, `${openid}.${expires}.${await mac(checkoutSecret, openid, expires)}`, {
    httpOnly: true,
    secure: true,
    sameSite: 'Lax',
    path: '/',
    maxAge: OAUTH_SESSION_SECONDS,
  });
}

/** The openid of a valid, unexpired session cookie, else null. Never throws on a bad cookie. */
export async function readOauthSession(c: Context, checkoutSecret: string, nowMs: number): Promise<string | null> {
  const raw = getCookie(c, OAUTH_COOKIE);
  if (!raw || raw.length > 200) return null;
  const parts = raw.split('.');
  if (parts.length !== 3) return null;
  const [openid, expiresText, tag] = parts as [string, string, string];
  if (!OPENID.test(openid) || !/^\d{1,12}$/.test(expiresText)) return null;
  const expires = Number(expiresText);
  if (!constantTimeEqual(await mac(checkoutSecret, openid, expires), tag)) return null;
  return expires * 1000 > nowMs ? openid : null;
}
