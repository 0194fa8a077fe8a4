// Console and checkout credentials that a leaked value cannot turn into a secret (docs/console.md):
// the session cookie is a bare random id looked up by its SHA-256, the CSRF value is random per
// session, rotating ADMIN_TOKEN ends every session, and checkout links are MACs under a key derived
// from CHECKOUT_SECRET by HKDF, never under the secret itself.
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { base64urlEncode, bytesToHex, hmacSha256 } from '../../src/core';
import { createApp } from '../../src/worker/compose/app';
import { ADMIN_TOKEN, adminGet, adminPage, adminPost, csrfOf, login } from '../support/console-helpers';
import { checkoutTokenFor, createOrder } from '../support/orders-helpers';

const sha256Hex = async (s: string) => bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s))));

/** Every encoding of HMAC-SHA256(key, message) a verifier could compare with. */
async function macForms(key: string, message: string): Promise<string[]> {
  const tag = await hmacSha256(key, message);
  return [base64urlEncode(tag), bytesToHex(tag), bytesToHex(tag).toUpperCase(), btoa(String.fromCharCode(...tag))];
}

async function sessionOf(cookie: string) {
  const id = cookie.slice('wxpay_admin='.length);
  const row = await env.DB.prepare('SELECT * FROM admin_sessions WHERE id_sha256 = ?1')
    .bind(await sha256Hex(id))
    .first<Record<string, unknown>>();
  return { id, row };
}

describe('console session credentials', () => {
  it('the cookie is a bare 256-bit random id; D1 keeps only its SHA-256, and the session is nothing but that row', async () => {
    const cookie = await login();
    const { id, row } = await sessionOf(cookie);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(row).not.toBeNull();
    const stored = JSON.stringify(await env.DB.prepare('SELECT * FROM admin_sessions').all());
    expect(stored).not.toContain(id);
    expect((await adminGet('/admin', cookie)).status).toBe(200);
    // No signature to check: without its row the same cookie is no session.
    await env.DB.prepare('DELETE FROM admin_sessions WHERE id_sha256 = ?1')
      .bind(await sha256Hex(id))
      .run();
    expect((await adminGet('/admin', cookie)).status).toBe(303);
  });

  it('neither the cookie nor the CSRF token verifies as a MAC under ADMIN_TOKEN, and both are random per session', async () => {
    const [a, b] = [await login(), await login()];
    const sa = await sessionOf(a);
    const sb = await sessionOf(b);
    const csrfA = csrfOf(await adminPage('/admin', a));
    const csrfB = csrfOf(await adminPage('/admin', b));
    expect(csrfA).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(csrfA).toBe(sa.row!.csrf);
    expect(new Set([sa.id, sb.id, csrfA, csrfB]).size).toBe(4);
    const exp = Math.floor(Date.parse(String(sa.row!.expires_at)) / 1000);
    const messages = [sa.id, csrfA, `admin-session:${sa.id}.${exp}`, `admin-csrf:${sa.id}`, `admin-csrf:${sa.row!.id_sha256}`, String(sa.row!.id_sha256), ''];
    const forms = (await Promise.all(messages.map((m) => macForms(ADMIN_TOKEN, m)))).flat();
    for (const value of [sa.id, csrfA]) for (const f of forms) expect(value).not.toBe(f);
    // One session's CSRF value is no good for another session.
    expect((await adminPost('/admin/logout', b, { _csrf: csrfA })).status).toBe(403);
    expect((await adminPost('/admin/logout', b, { _csrf: csrfB })).status).toBe(303);
  });

  it('a new ADMIN_TOKEN ends every session opened under the old one', async () => {
    const cookie = await login();
    const rotated = { ...env, ADMIN_TOKEN: 'Vb8nR2qL5tY9wE3cK7hM1xZ4pS6gJ0fD' } as unknown as Env;
    const ctx = createExecutionContext();
    const res = await createApp().fetch(new Request('http://127.0.0.1:8787/admin', { headers: { Cookie: cookie }, redirect: 'manual' }), rotated, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(303);
    expect((await adminGet('/admin', cookie)).status).toBe(200);
  });
});

describe('checkout link tokens', () => {
  it('are HMACs under HKDF(CHECKOUT_SECRET, "wxpay-edge checkout-link"), not under the secret itself', async () => {
    const order = await createOrder();
    const token = await checkoutTokenFor(order.out_trade_no);
    expect(order.checkout_url).toContain(`t=${token}`);
    const ikm = await crypto.subtle.importKey('raw', new TextEncoder().encode(env.CHECKOUT_SECRET!), 'HKDF', false, ['deriveKey']);
    const key = await crypto.subtle.deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt: new TextEncoder().encode('wxpay-edge/v1'), info: new TextEncoder().encode('wxpay-edge checkout-link') },
      ikm,
      { name: 'HMAC', hash: 'SHA-256', length: 256 },
      false,
      ['sign'],
    );
    const expected = base64urlEncode(new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(order.out_trade_no))));
    expect(token).toBe(expected);
    for (const m of [order.out_trade_no, `checkout-link:${order.out_trade_no}`]) expect(await macForms(env.CHECKOUT_SECRET!, m)).not.toContain(token);
  });
});
