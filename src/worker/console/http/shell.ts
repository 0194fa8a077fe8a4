// The merchant console's shell helpers: the gate (config, Access, same-origin POSTs), the session and
// CSRF check every page and form goes through, form reading, rendering and list cursors.
import type { Context } from 'hono';
import { cspNonce } from '../../platform/security-headers';
import type { Config } from '../../platform/config';
import { verifyAccessJwt } from '../access';
import { barePage, type Frame, type NavKey, page } from '../layout';
import { loginBody, messageBody } from '../misc-view';
import { type AdminSession, csrfValid, readSession } from './session';
import type { HonoEnv } from '../../platform/env';
import { readCapped } from '../../notify';
import { log } from '../../platform/log';
import { loadConfig } from '../../platform/middleware/require-config';
import { decodeCursor } from '../../platform/paging';

export type C = Context<HonoEnv>;
const FORM_MAX_BYTES = 8 * 1024;
export const PAGE_SIZE = 50;

/** Config, Access, and for POSTs a same-origin check, before any page; plus the Server-Timing header. */
/** What the gate lets through: the config and, behind Access, who Access says the operator is. */
interface Admitted {
  config: Config;
  /** The Access identity (its stable subject, else its email), bound to every session opened under it. */
  accessId: string | null;
  /** The operator's name under Access: its email, else its subject. */
  accessName: string | null;
}

const reported = new WeakMap<object, string>();

/** Logged once per env: the problem names the variable, never its value. */
function reportConsoleProblem(c: C, problem: string): void {
  if (reported.get(c.env) === problem) return;
  reported.set(c.env, problem);
  log.error('CONSOLE_CONFIG_INVALID', { problem });
}

export async function gate(c: C): Promise<Admitted | Response> {
  const parsed = loadConfig(c);
  if (!parsed.ok) return c.html(barePage(cspNonce(c), '控制台不可用', loginMessage('服务配置无效，控制台已关闭。')), 503);
  const config = parsed.config;
  if (config.adminTokenProblem) {
    c.set('outcome', 'CONSOLE_CONFIG_INVALID');
    reportConsoleProblem(c, config.adminTokenProblem);
    return c.html(
      barePage(
        cspNonce(c),
        '控制台不可用',
        loginMessage('ADMIN_TOKEN 是文档中的示例值或强度不足，生产环境拒绝使用；请生成随机值并用 wrangler secret put 设置。'),
      ),
      503,
    );
  }
  if (!config.adminToken) return c.html(barePage(cspNonce(c), '页面不存在', loginMessage('控制台未启用（未设置 ADMIN_TOKEN）。')), 404);
  let accessName: string | null = null;
  let accessId: string | null = null;
  if (config.access) {
    const verdict = await verifyAccessJwt(c.req.header('Cf-Access-Jwt-Assertion'), config.access, Date.now(), fetch).catch(() => null);
    if (!verdict?.ok) {
      c.set('outcome', `ACCESS_DENIED:${verdict ? verdict.reason : 'jwks unavailable'}`);
      return c.html(barePage(cspNonce(c), '无权访问', loginMessage('需要通过 Cloudflare Access 登录。')), 403);
    }
    accessName = verdict.email ?? verdict.sub;
    accessId = verdict.sub || verdict.email;
  }
  if (c.req.method === 'POST') {
    const origin = c.req.header('Origin');
    const site = c.req.header('Sec-Fetch-Site');
    if ((origin && origin !== new URL(c.req.url).origin) || (site && site !== 'same-origin' && site !== 'none')) {
      c.set('outcome', 'CSRF_ORIGIN');
      return c.html(barePage(cspNonce(c), '请求被拒绝', loginMessage('跨站请求被拒绝。')), 403);
    }
  }
  return { config, accessId, accessName };
}

const loginMessage = (text: string) => messageBody(text);

export async function timing(c: C, next: () => Promise<void>) {
  const t0 = performance.now();
  await next();
  c.header('Server-Timing', `app;dur=${(performance.now() - t0).toFixed(1)}`);
}

export async function readForm(c: C): Promise<URLSearchParams | null> {
  if (!(c.req.header('Content-Type') ?? '').startsWith('application/x-www-form-urlencoded')) return null;
  const bytes = await readCapped(c.req.raw.body, FORM_MAX_BYTES);
  return bytes ? new URLSearchParams(new TextDecoder().decode(bytes)) : null;
}

export interface Ctx {
  config: Config;
  session: AdminSession;
  frame: (title: string, active: NavKey) => Promise<Frame>;
}

/** Runs `handler` with a valid session (and, for POSTs, a valid CSRF token), else sends to the login. */
export async function withSession(c: C, handler: (x: Ctx, form: URLSearchParams | null) => Promise<Response>): Promise<Response> {
  const g = await gate(c);
  if (g instanceof Response) return g;
  const { config } = g;
  const read = await readSession(c, c.env.DB, config.adminToken!, g.accessId, Date.now());
  if (!read.ok) {
    c.set('outcome', read.outcome);
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return c.redirect('/admin/login', 303);
    return c.html(barePage(cspNonce(c), '会话已失效', loginBody('会话已失效，请重新登录。')), 401);
  }
  const { session } = read;
  let form: URLSearchParams | null = null;
  if (c.req.method === 'POST') {
    form = await readForm(c);
    if (!form || !csrfValid(session, form.get('_csrf'))) {
      c.set('outcome', 'CSRF_INVALID');
      return c.html(barePage(cspNonce(c), '请求被拒绝', loginBody('表单已失效（CSRF 校验失败），请返回刷新后重试。')), 403);
    }
  }
  const frame = async (_title: string, active: NavKey): Promise<Frame> => ({
    nonce: cspNonce(c),
    session,
    active,
    merchantName: config.merchantName,
    sandbox: config.mode === 'sandbox',
  });
  return handler({ config, session, frame }, form);
}

export async function render(c: C, x: Ctx, title: string, active: NavKey, body: Parameters<typeof page>[2], status: 200 | 400 | 404 | 409 = 200) {
  return c.html(page(await x.frame(title, active), title, body), status);
}

/** A list's `after`: [created_at, key] of the last row shown (platform/paging.ts); anything else is the first page. */
export function readCursor(s: string | undefined): [string, unknown] | null {
  return decodeCursor(s, (v) => (v.length === 2 && typeof v[0] === 'string' && !Number.isNaN(Date.parse(v[0])) ? [v[0], v[1]] : null));
}
