// Shared helpers for the console tests: log in with the form, carry the session cookie, read the
// CSRF token from a page, post forms.
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { api } from './orders-helpers';

export const ADMIN_TOKEN = env.ADMIN_TOKEN!;
export const ORIGIN = 'http://127.0.0.1:8787';

export function form(fields: Record<string, string>): { body: string; headers: Record<string, string> } {
  return { body: new URLSearchParams(fields).toString(), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } };
}

export async function postForm(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  const f = form(fields);
  return api(path, { method: 'POST', body: f.body, headers: { ...f.headers, Origin: ORIGIN, ...headers }, redirect: 'manual' });
}

/** Every Set-Cookie line of a response. */
export function setCookies(res: Response): string[] {
  return (res.headers as unknown as { getSetCookie(): string[] }).getSetCookie();
}

/** `name=value` of the Set-Cookie that sets the console session. */
export function sessionCookieOf(res: Response): string | null {
  const set = setCookies(res).find((s) => s.startsWith('wxpay_admin='));
  return set ? set.split(';')[0]! : null;
}

export async function login(operator = '测试员', ip = `10.0.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`): Promise<string> {
  const res = await postForm('/admin/login', { operator, token: ADMIN_TOKEN }, { 'CF-Connecting-IP': ip });
  expect(res.status).toBe(303);
  const cookie = sessionCookieOf(res);
  expect(cookie).toBeTruthy();
  return cookie!;
}

export function adminGet(path: string, cookie: string): Promise<Response> {
  return api(path, { headers: { Cookie: cookie }, redirect: 'manual' });
}

export async function adminPage(path: string, cookie: string): Promise<string> {
  const res = await adminGet(path, cookie);
  expect(res.status, path).toBe(200);
  return res.text();
}

export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no CSRF field on the page');
  return m[1]!;
}

export async function adminPost(path: string, cookie: string, fields: Record<string, string>): Promise<Response> {
  return postForm(path, fields, { Cookie: cookie });
}
