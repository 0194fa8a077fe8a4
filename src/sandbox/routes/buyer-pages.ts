/**
 * The buyer's pages outside the 公众号 pay sheet (docs/wechatpay-v2.md §23.1, §9.2), HTML without scripts:
 * - GET /scan?code_url=… — "用微信扫一扫" on a NATIVE code_url: the order, a test-user picker; POST /scan pays.
 * - GET /mweb?prepay_id=…&package=…[&redirect_url=…] — the MWEB `mweb_url`, with WeChat's checks
 *   (src/sandbox/mweb.ts); then a test-user picker; POST /mweb/pay pays and returns to redirect_url.
 * Both pay through the one payment path (payAndNotify), scenarios and notifies included.
 */
import { Hono, type Context } from 'hono';
import { formatYuan } from '../../core';
import { merchantStub, type SandboxEnv } from '../hono-env';
import { MWEB_REFUSAL_TEXT, mwebRefusal, onH5, type MwebRefusal } from '../mweb';
import type { SimOrder } from '../state';
import { PAY_REFUSAL_DESC, type PayHandle, type PayRefusal } from '../trade';
import { fixedUser, USER_NAME } from '../users';
import { escapeHtml, page } from './html';
import { payAndNotify, refusalStatus } from './payment';

export const buyerPages = new Hono<SandboxEnv>();

const CODE_URL = /^weixin:\/\/wxpay\/bizpayurl\?pr=[A-Za-z0-9]{1,64}$/;

/** A refusal page: the text the buyer sees, and a stable `data-reason` for scripts. */
function refusalPage(title: string, reason: string, text: string, status: number): Response {
  return page(title, `<h1>${escapeHtml(title)}</h1><p class="err" id="pay-error" data-reason="${escapeHtml(reason)}">${escapeHtml(text)}</p>`, status);
}

const payRefusalPage = (title: string, r: PayRefusal) => refusalPage(title, r, PAY_REFUSAL_DESC[r], refusalStatus(r));

function orderSummary(c: Context<SandboxEnv>, o: SimOrder): string {
  const m = c.get('merchant');
  return (
    `<p id="pay-merchant">${escapeHtml(m.name)}</p><p id="pay-body"><small>${escapeHtml(o.params.body ?? '')}</small></p>` +
    `<p id="pay-amount" style="font-size:32px;font-weight:600;text-align:center">¥${formatYuan(o.total_fee)}</p>`
  );
}

/** The picker: one submit button per test user (under the order's appid), and a free name. */
async function userPicker(c: Context<SandboxEnv>, o: SimOrder, action: string, hidden: Record<string, string>): Promise<string> {
  const m = c.get('merchant');
  const users = (await merchantStub(c.env, m.mchId).users(o.appid)).filter((u) => fixedUser(u.name) && !u.snapshot);
  const inputs = Object.entries(hidden)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');
  const buttons = users
    .map(
      (u) =>
        `<li><button type="submit" name="user" value="${escapeHtml(u.name)}" id="user-${escapeHtml(u.name)}">${escapeHtml(fixedUser(u.name)!.label)}<br><small>${escapeHtml(u.openid)}</small></button></li>`,
    )
    .join('');
  return (
    `<p><small>选择付款的测试用户（openid 属于该订单的 appid ${escapeHtml(o.appid)}）</small></p>` +
    `<form method="post" action="${escapeHtml(action)}">${inputs}<ul>${buttons}</ul></form>` +
    `<form method="post" action="${escapeHtml(action)}">${inputs}<label>其他用户名<input type="text" name="user" required pattern="[A-Za-z0-9_\\-]{1,32}" maxlength="32" autocomplete="off"></label><button type="submit">确认支付</button></form>`
  );
}

/** Pays as the named user (registered under the order's appid); the outcome as a page, or null to redirect. */
async function payAsUser(
  c: Context<SandboxEnv>,
  title: string,
  handle: PayHandle,
  user: unknown,
): Promise<Response | { result: 'SUCCESS' | 'CANCEL' | 'FAIL' }> {
  const m = c.get('merchant');
  if (typeof user !== 'string' || !USER_NAME.test(user)) return refusalPage(title, 'BAD_USER', '用户名只能包含字母、数字、_ 和 -，最长32个字符', 400);
  const stub = merchantStub(c.env, m.mchId);
  const found = await stub.payable(handle);
  if (!found.ok) return payRefusalPage(title, found.refusal);
  const openid = await stub.registerUser(found.order.appid, user);
  const paid = await payAndNotify(c.env, m, handle, openid);
  if (paid.ok) return { result: 'SUCCESS' };
  if ('refusal' in paid) return payRefusalPage(title, paid.refusal);
  return { result: paid.user_action === 'cancel' ? 'CANCEL' : 'FAIL' };
}

const RESULT_TEXT = { SUCCESS: '支付成功', CANCEL: '已取消支付', FAIL: '支付失败，请稍后再试' } as const;

const resultPage = (title: string, result: keyof typeof RESULT_TEXT) =>
  page(title, `<h1>${escapeHtml(title)}</h1><p id="pay-result" data-result="${result}" style="text-align:center;font-size:20px">${RESULT_TEXT[result]}</p>`);

// ---- NATIVE: 用微信扫一扫 ----

const SCAN = '微信扫一扫（沙箱）';

buyerPages.get('/scan', async (c) => {
  const codeUrl = c.req.query('code_url') ?? '';
  if (!CODE_URL.test(codeUrl)) return refusalPage(SCAN, 'CODE_URL_INVALID', '无法识别的二维码', 400);
  const found = await merchantStub(c.env, c.get('merchant').mchId).payable({ kind: 'code_url', code_url: codeUrl });
  if (!found.ok) return payRefusalPage(SCAN, found.refusal);
  const o = found.order;
  return page(SCAN, `<h1>确认付款</h1>${orderSummary(c, o)}${await userPicker(c, o, new URL(c.req.url).pathname, { code_url: codeUrl })}`);
});

buyerPages.post('/scan', async (c) => {
  const form = await c.req.parseBody();
  const codeUrl = typeof form.code_url === 'string' ? form.code_url : '';
  if (!CODE_URL.test(codeUrl)) return refusalPage(SCAN, 'CODE_URL_INVALID', '无法识别的二维码', 400);
  const r = await payAsUser(c, SCAN, { kind: 'code_url', code_url: codeUrl }, form.user);
  return r instanceof Response ? r : resultPage(SCAN, r.result);
});

// ---- MWEB: the mweb_url opened in a browser outside WeChat ----

const H5 = '微信支付（沙箱 H5）';

function mwebRefusalPage(r: MwebRefusal): Response {
  return refusalPage(H5, r, MWEB_REFUSAL_TEXT[r], r === 'EXPIRED' ? 410 : 403);
}

buyerPages.get('/mweb', async (c) => {
  const m = c.get('merchant');
  const q = c.req.query();
  const stub = merchantStub(c.env, m.mchId);
  const ticket = q.prepay_id && q.package ? await stub.mwebTicket(q.prepay_id, q.package) : undefined;
  const refused = mwebRefusal(m, {
    referer: c.req.header('Referer'),
    redirectUrl: q.redirect_url,
    userAgent: c.req.header('User-Agent'),
    clientIp: c.req.header('CF-Connecting-IP') ?? '127.0.0.1',
    ticket,
    now: ticket?.now ?? 0,
  });
  if (refused) return mwebRefusalPage(refused);
  const handle: PayHandle = { kind: 'mweb_url', prepay_id: q.prepay_id!, package: q.package! };
  const found = await stub.payable(handle);
  if (!found.ok) return payRefusalPage(H5, found.refusal);
  const hidden = { prepay_id: handle.prepay_id, package: handle.package, ...(q.redirect_url ? { redirect_url: q.redirect_url } : {}) };
  return page(H5, `<h1>确认付款</h1>${orderSummary(c, found.order)}${await userPicker(c, found.order, new URL(c.req.url).pathname + '/pay', hidden)}`);
});

/** The buyer pays in WeChat; the browser then returns to redirect_url (whatever the outcome: it may precede the result). */
buyerPages.post('/mweb/pay', async (c) => {
  const m = c.get('merchant');
  const form = await c.req.parseBody();
  const str = (k: string) => (typeof form[k] === 'string' ? (form[k] as string) : undefined);
  const prepayId = str('prepay_id');
  const pkg = str('package');
  const redirectUrl = str('redirect_url');
  if (!prepayId || !pkg) return mwebRefusalPage('PARAMS_INVALID');
  if (redirectUrl !== undefined && !onH5(m, redirectUrl)) return mwebRefusalPage('DOMAIN_NOT_AUTHORISED');
  const r = await payAsUser(c, H5, { kind: 'mweb_url', prepay_id: prepayId, package: pkg }, form.user);
  if (r instanceof Response) return r;
  return redirectUrl ? c.redirect(redirectUrl, 302) : resultPage(H5, r.result);
});
