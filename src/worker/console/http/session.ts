// Console sessions (docs/console.md): the cookie `wxpay_admin` holds a 256-bit random id and nothing
// else; D1 keeps only its SHA-256, with the session's own random CSRF value, the operator, the Access
// identity it was opened under and an epoch derived from ADMIN_TOKEN. Nothing a browser holds is a
// MAC of anything, so a leaked cookie is no oracle for the token; it stops working at logout, after
// 8 h, when ADMIN_TOKEN changes, or when the Access identity in front of it changes.
// A second cookie, `wxpay_admin_device`, marks a browser that logged in before (console/login-limit.ts).
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { base64urlEncode, bytesToHex, constantTimeEqual, purposeKeyBytes } from '../../../core';
import { deviceKnown, getSession, insertDevice, insertSession, revokeSession } from '../admin-auth-repo';
import { sha256Hex } from '../../../core';

const ADMIN_COOKIE = 'wxpay_admin';
const DEVICE_COOKIE = 'wxpay_admin_device';
const ADMIN_SESSION_SECONDS = 8 * 3600;
const DEVICE_SECONDS = 90 * 86_400;
const LOGIN_PATH = '/admin/login';

export interface AdminSession {
  idSha256: string;
  operator: string;
  csrf: string;
}

type SessionRead = { ok: true; session: AdminSession } | { ok: false; outcome: 'NO_SESSION' | 'SESSION_IDENTITY_CHANGED' | 'SESSION_TOKEN_ROTATED' };

const RANDOM_ID = /^[A-Za-z0-9_-]{43}$/;
const randomId = () => base64urlEncode(crypto.getRandomValues(new Uint8Array(32)));
const iso = (ms: number) => new Date(ms).toISOString();

const epochs = new Map<string, Promise<string>>();
/** A value that changes with ADMIN_TOKEN, kept only in D1: rotating the token ends every session. */
function tokenEpoch(adminToken: string): Promise<string> {
  let epoch = epochs.get(adminToken);
  if (!epoch) {
    epochs.clear(); // one token is configured at a time
    epoch = purposeKeyBytes(adminToken, 'wxpay-edge admin-token-epoch').then((b) => bytesToHex(b.subarray(0, 16)));
    epochs.set(adminToken, epoch);
  }
  return epoch;
}

const cookieOptions = { httpOnly: true, secure: true, sameSite: 'Strict' } as const;

/** Starts a session for `operator` (opened under Access identity `accessId`, if any): the row, then the cookie. */
export async function startSession(c: Context, db: D1Database, adminToken: string, operator: string, accessId: string | null, nowMs: number): Promise<void> {
  const id = randomId();
  const expiresMs = nowMs + ADMIN_SESSION_SECONDS * 1000;
  const row = { idSha256: await sha256Hex(id), csrf: randomId(), operator, accessId, tokenEpoch: await tokenEpoch(adminToken) };
  await insertSession(db, row, iso(nowMs), iso(expiresMs));
  setCookie(c, ADMIN_COOKIE, id, { ...cookieOptions, path: '/admin', maxAge: ADMIN_SESSION_SECONDS });
}

/**
 * The session of the cookie, if it names a live one opened under this token and this Access identity.
 * A session whose identity changed is revoked on the spot. Never throws on a bad cookie.
 */
export async function readSession(c: Context, db: D1Database, adminToken: string, accessId: string | null, nowMs: number): Promise<SessionRead> {
  const id = getCookie(c, ADMIN_COOKIE);
  if (!id || !RANDOM_ID.test(id)) return { ok: false, outcome: 'NO_SESSION' };
  const idSha256 = await sha256Hex(id);
  const row = await getSession(db, idSha256);
  if (!row || row.revoked_at || Date.parse(row.expires_at) <= nowMs) return { ok: false, outcome: 'NO_SESSION' };
  if (!constantTimeEqual(row.token_epoch, await tokenEpoch(adminToken))) return { ok: false, outcome: 'SESSION_TOKEN_ROTATED' };
  if (row.access_id !== accessId) {
    await revokeSession(db, idSha256, iso(nowMs));
    return { ok: false, outcome: 'SESSION_IDENTITY_CHANGED' };
  }
  return { ok: true, session: { idSha256, operator: row.operator, csrf: row.csrf } };
}

export async function endSession(c: Context, db: D1Database, session: AdminSession | null, nowMs: number): Promise<void> {
  if (session) await revokeSession(db, session.idSha256, iso(nowMs));
  deleteCookie(c, ADMIN_COOKIE, { ...cookieOptions, path: '/admin' });
}

export function csrfValid(session: AdminSession, presented: unknown): boolean {
  return typeof presented === 'string' && presented.length < 200 && constantTimeEqual(session.csrf, presented);
}

/** The SHA-256 of this browser's device id when it is a device that logged in before, else null. */
export async function knownDevice(c: Context, db: D1Database, nowMs: number): Promise<string | null> {
  const id = getCookie(c, DEVICE_COOKIE);
  if (!id || !RANDOM_ID.test(id)) return null;
  const idSha256 = await sha256Hex(id);
  return (await deviceKnown(db, idSha256, iso(nowMs))) ? idSha256 : null;
}

/** After a right token: a browser without a known device id gets one (sent only to the login form). */
export async function trustDevice(c: Context, db: D1Database, known: string | null, nowMs: number): Promise<void> {
  if (known) return;
  const id = randomId();
  await insertDevice(db, await sha256Hex(id), iso(nowMs), iso(nowMs + DEVICE_SECONDS * 1000));
  setCookie(c, DEVICE_COOKIE, id, { ...cookieOptions, path: LOGIN_PATH, maxAge: DEVICE_SECONDS });
}
