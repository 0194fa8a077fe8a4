// Console sessions: `wxpay_admin=<id>.<expiresEpochSec>.<hmac>` (HttpOnly, Secure, SameSite=Strict,
// Path=/admin, 8 h), signed with a key derived from ADMIN_TOKEN and backed by an admin_sessions row
// that logout revokes. CSRF tokens are an HMAC of the session id; failed logins are counted per
// client IP in D1 (admin_login_failures).
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { base64urlEncode, constantTimeEqual } from '../../core';
import { addLoginFailure, forgiveLoginFailure, getSession, insertSession, revokeSession } from '../d1/console-repo';
import { hmacBase64url } from '../hmac';

export const ADMIN_COOKIE = 'wxpay_admin';
export const ADMIN_SESSION_SECONDS = 8 * 3600;
/** Failed logins allowed per client IP per window; the next one is refused until the window ends. */
export const LOGIN_MAX_FAILURES = 5;
export const LOGIN_WINDOW_MS = 15 * 60_000;

export interface AdminSession {
  id: string;
  operator: string;
  csrf: string;
}

const mac = (token: string, id: string, expires: number) => hmacBase64url(token, `admin-session:${id}.${expires}`);
export const csrfFor = (token: string, sessionId: string) => hmacBase64url(token, `admin-csrf:${sessionId}`);

/** Starts a session for `operator`: the row, then the cookie. */
export async function startSession(c: Context, db: D1Database, adminToken: string, operator: string, nowMs: number): Promise<void> {
  const id = base64urlEncode(crypto.getRandomValues(new Uint8Array(16)));
  const expires = Math.floor(nowMs / 1000) + ADMIN_SESSION_SECONDS;
  await insertSession(db, id, operator, new Date(nowMs).toISOString(), new Date(expires * 1000).toISOString());
  setCookie(c, ADMIN_COOKIE, `${id}.${expires}.${await mac(adminToken, id, expires)}`, {
    httpOnly: true,
    secure: true,
    sameSite: 'Strict',
    path: '/admin',
    maxAge: ADMIN_SESSION_SECONDS,
  });
}

/** The session of a valid, unexpired, unrevoked cookie, else null. Never throws on a bad cookie. */
export async function readSession(c: Context, db: D1Database, adminToken: string, nowMs: number): Promise<AdminSession | null> {
  const raw = getCookie(c, ADMIN_COOKIE);
  if (!raw || raw.length > 200) return null;
  const parts = raw.split('.');
  if (parts.length !== 3) return null;
  const [id, expiresText, tag] = parts as [string, string, string];
  if (!/^[A-Za-z0-9_-]{22}$/.test(id) || !/^\d{1,12}$/.test(expiresText)) return null;
  const expires = Number(expiresText);
  if (expires * 1000 <= nowMs || !constantTimeEqual(await mac(adminToken, id, expires), tag)) return null;
  const row = await getSession(db, id);
  if (!row || row.revoked_at || Date.parse(row.expires_at) <= nowMs) return null;
  return { id, operator: row.operator, csrf: await csrfFor(adminToken, id) };
}

export async function endSession(c: Context, db: D1Database, session: AdminSession | null, nowMs: number): Promise<void> {
  if (session) await revokeSession(db, session.id, new Date(nowMs).toISOString());
  deleteCookie(c, ADMIN_COOKIE, { path: '/admin', secure: true, httpOnly: true, sameSite: 'Strict' });
}

export function csrfValid(session: AdminSession, presented: unknown): boolean {
  return typeof presented === 'string' && presented.length < 200 && constantTimeEqual(session.csrf, presented);
}

function windowOf(nowMs: number): string {
  return new Date(nowMs - (nowMs % LOGIN_WINDOW_MS)).toISOString();
}

/**
 * Counts a login attempt from `ip` BEFORE the token is compared (so a burst of parallel guesses cannot
 * all pass a read-then-write check), and returns the seconds until this IP may try again, or 0 when
 * this attempt may proceed. A correct token gives its attempt back (forgiveLoginAttempt).
 */
export async function claimLoginAttempt(db: D1Database, ip: string, nowMs: number): Promise<number> {
  const n = await addLoginFailure(db, ip, windowOf(nowMs));
  return n > LOGIN_MAX_FAILURES ? Math.ceil((LOGIN_WINDOW_MS - (nowMs % LOGIN_WINDOW_MS)) / 1000) : 0;
}

export function forgiveLoginAttempt(db: D1Database, ip: string, nowMs: number): Promise<void> {
  return forgiveLoginFailure(db, ip, windowOf(nowMs));
}
