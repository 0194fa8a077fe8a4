/**
 * WeChat OAuth for 公众号 web pages (docs/wechatpay-v2.md §5), as the simulator serves it:
 * GET /connect/oauth2/authorize shows a pick-a-test-user page (or, with `&user=<name>`, skips it)
 * and redirects to redirect_uri?code=…&state=…; GET /sns/oauth2/access_token exchanges the code.
 * The mini-program's login (docs/wechatpay-v2.md §23.3): GET /sns/jscode2session exchanges a `wx.login()`
 * js_code (minted by POST /sim/js-code) for the openid under the mini-program's appid.
 */
import { Hono } from 'hono';
import { constantTimeEqual } from '../../core';
import { merchantStub, type SandboxEnv } from '../hono-env';
import { newSessionKey, newToken } from '../ids';
import { fixedUser, TEST_USERS, USER_NAME } from '../users';
import { escapeHtml, page } from './html';

const SCOPES = ['snsapi_base', 'snsapi_userinfo'];
const OAUTH_TOKEN_TTL_S = 7200;

const errorPage = (code: number, message: string) =>
  page('微信授权', `<h1>Oops! Something went wrong:(</h1><p class="err">${code} ${escapeHtml(message)}</p>`, 400);

export const oauth = new Hono<SandboxEnv>();

oauth.get('/connect/oauth2/authorize', async (c) => {
  const m = c.get('merchant');
  const q = c.req.query();
  if (q.appid !== m.appId) return errorPage(40013, 'invalid appid');
  let redirect: URL;
  try {
    redirect = new URL(q.redirect_uri ?? '');
  } catch {
    return errorPage(10003, 'redirect_uri参数错误');
  }
  // 网页授权域名: the gateway's own domain is the one configured for this appid.
  if (!['http:', 'https:'].includes(redirect.protocol) || redirect.host !== new URL(m.publicOrigin).host) {
    return errorPage(10003, 'redirect_uri域名与后台配置不一致');
  }
  if (q.response_type !== 'code') return errorPage(10004, 'response_type参数错误');
  if (!SCOPES.includes(q.scope ?? '')) return errorPage(10005, '此公众号并没有这些scope的权限');

  const user = q.user;
  if (user === undefined || user === '') {
    const link = (name: string) => {
      const u = new URL(c.req.url);
      u.searchParams.set('user', name);
      return escapeHtml(u.pathname + u.search);
    };
    const stub = merchantStub(c.env, m.mchId);
    const users = (await stub.users(m.appId)).filter((u) => fixedUser(u.name));
    const items = users
      .map(
        (u) =>
          `<li><a id="user-${escapeHtml(u.name)}" href="${link(u.name)}">${escapeHtml(TEST_USERS.find((t) => t.name === u.name)!.label)}<br><small>${escapeHtml(u.openid)}</small></a></li>`,
      )
      .join('');
    const hidden = Object.entries(q)
      .filter(([k]) => k !== 'user')
      .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
      .join('');
    return page(
      '微信授权（沙箱）',
      `<h1>选择测试用户</h1><p><small>沙箱模拟的微信网页授权：选择一个测试用户，或输入任意用户名。</small></p><ul>${items}</ul>` +
        `<form method="get" action="${escapeHtml(new URL(c.req.url).pathname)}">${hidden}<label>其他用户名<input type="text" name="user" required pattern="[A-Za-z0-9_\\-]{1,32}" maxlength="32" autocomplete="off"></label><button type="submit">授权登录</button></form>`,
    );
  }
  if (!USER_NAME.test(user)) return errorPage(10003, '用户名只能包含字母、数字、_ 和 -，最长32个字符');
  const code = await merchantStub(c.env, m.mchId).issueCode(m.appId, user, q.scope!);
  redirect.searchParams.set('code', code);
  redirect.searchParams.set('state', q.state ?? '');
  return c.redirect(redirect.toString(), 302);
});

oauth.get('/sns/oauth2/access_token', async (c) => {
  const m = c.get('merchant');
  const q = c.req.query();
  const err = (errcode: number, errmsg: string) => c.json({ errcode, errmsg });
  if (q.appid !== m.appId) return err(40013, 'invalid appid');
  if (!q.secret || !constantTimeEqual(q.secret, m.appSecret)) return err(40125, 'invalid appsecret');
  if (q.grant_type !== 'authorization_code') return err(40002, 'invalid grant_type');
  if (!q.code) return err(41008, 'missing code');
  const exchanged = await merchantStub(c.env, m.mchId).exchangeCode(q.code, m.appId, 'oauth');
  if (!exchanged.ok) return exchanged.errcode === 40163 ? err(40163, 'code been used') : err(40029, 'invalid code');
  const { openid, scope, snapshot } = exchanged.code;
  return c.json({
    access_token: newToken(),
    expires_in: OAUTH_TOKEN_TTL_S,
    refresh_token: newToken(),
    openid,
    scope,
    ...(snapshot ? { is_snapshotuser: 1 } : {}),
  });
});

/**
 * code2Session: `{openid, session_key}` or `{errcode, errmsg}` — 40013 not the merchant's mini-program,
 * 40125 wrong secret, 40002 wrong grant_type, 41008 no js_code, 40029 unknown, expired (5 minutes) or
 * another appid's code, 40163 a code already used. `session_key` never leaves the merchant's server.
 */
oauth.get('/sns/jscode2session', async (c) => {
  const m = c.get('merchant');
  const q = c.req.query();
  const err = (errcode: number, errmsg: string) => c.json({ errcode, errmsg });
  const mini = m.miniProgram;
  if (!mini || q.appid !== mini.appId) return err(40013, 'invalid appid');
  if (!q.secret || !constantTimeEqual(q.secret, mini.secret)) return err(40125, 'invalid appsecret');
  if (q.grant_type !== 'authorization_code') return err(40002, 'invalid grant_type');
  if (!q.js_code) return err(41008, 'missing code');
  const exchanged = await merchantStub(c.env, m.mchId).exchangeCode(q.js_code, mini.appId, 'jscode');
  if (!exchanged.ok) return exchanged.errcode === 40163 ? err(40163, 'code been used') : err(40029, 'invalid code');
  return c.json({ session_key: newSessionKey(), openid: exchanged.code.openid });
});
