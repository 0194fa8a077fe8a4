// The merchant console at /admin (issue 13): server-rendered pages behind ADMIN_TOKEN login (and
// Cloudflare Access when configured). A thin shell: authorise, read or call one use case, render.
import { Hono } from 'hono';
import { secretEqual } from '../../../core';
import { cspNonce, consoleSecurityHeaders } from '../../platform/security-headers';
import { barePage, page } from '../layout';
import { loginBody } from '../misc-view';
import { loadOverview, overviewBody } from '../overview';
import { addressBucketKey } from '../client-address';
import { claimLoginAttempt, releaseLoginAttempt } from '../login-limit';
import { endSession, knownDevice, readSession, startSession, trustDevice } from './session';
import type { HonoEnv } from '../../platform/env';
import { adminOps } from './ops-routes';
import { adminOrders } from './orders-routes';
import { gate, readForm, timing, withSession } from './shell';

export const admin = new Hono<HonoEnv>();

admin.use('/admin', consoleSecurityHeaders);
admin.use('/admin/*', consoleSecurityHeaders);
admin.use('/admin', timing);
admin.use('/admin/*', timing);

// ---- login / logout ----

admin.get('/admin/login', async (c) => {
  const g = await gate(c);
  if (g instanceof Response) return g;
  if ((await readSession(c, c.env.DB, g.config.adminToken!, g.accessId, Date.now())).ok) return c.redirect('/admin', 303);
  return c.html(barePage(cspNonce(c), '登录', loginBody(null, g.accessName)));
});

const OPERATOR = /^[^\p{C}]{1,32}$/u;

admin.post('/admin/login', async (c) => {
  const g = await gate(c);
  if (g instanceof Response) return g;
  const form = await readForm(c);
  // Behind Access the operator is who Access says, never a name typed into the form.
  const operator = g.accessName?.slice(0, 128) ?? (form?.get('operator') ?? '').trim();
  const token = form?.get('token') ?? '';
  const bad = (text: string, status: 400 | 401 | 429) => c.html(barePage(cspNonce(c), '登录', loginBody(text, g.accessName)), status);
  if (!form || (!g.accessName && !OPERATOR.test(operator)) || !token) return bad('请填写操作员和访问令牌。', 400);
  const now = Date.now();
  const device = await knownDevice(c, c.env.DB, now);
  const claim = await claimLoginAttempt(c.env.DB, { device, address: addressBucketKey(c.req.header('CF-Connecting-IP')), live: g.config.mode === 'live' }, now);
  if (!claim.admitted) {
    c.set('outcome', `LOGIN_RATE_LIMITED:${claim.scope}`);
    c.header('Retry-After', String(claim.retryAfterSeconds));
    return bad(`登录失败次数过多，请 ${Math.ceil(claim.retryAfterSeconds / 60)} 分钟后再试。`, 429);
  }
  if (!(await secretEqual(token, g.config.adminToken!))) {
    c.set('outcome', 'LOGIN_FAILED');
    return bad('访问令牌不正确。', 401);
  }
  await releaseLoginAttempt(c.env.DB, claim);
  await startSession(c, c.env.DB, g.config.adminToken!, operator, g.accessId, now);
  await trustDevice(c, c.env.DB, device, now);
  c.set('outcome', 'LOGIN');
  return c.redirect('/admin', 303);
});

admin.post('/admin/logout', (c) =>
  withSession(c, async (x) => {
    await endSession(c, c.env.DB, x.session, Date.now());
    c.set('outcome', 'LOGOUT');
    return c.redirect('/admin/login', 303);
  }),
);

// ---- pages ----

admin.get('/admin', (c) =>
  withSession(c, async (x) => {
    const f = await x.frame('概览', 'overview');
    const o = await loadOverview(c.env.DB, Date.now(), x.config);
    return c.html(page(f, '概览', overviewBody(o)));
  }),
);

// The pages of each area, mounted after the middleware above so it runs first for them too.
admin.route('/', adminOrders);
admin.route('/', adminOps);
