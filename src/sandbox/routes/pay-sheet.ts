/**
 * The pay sheet: the script (GET /pay-sheet.js), the server-side check of getBrandWCPayRequest's
 * parameters exactly as WeChat makes it (docs/wechatpay-v2.md §7), and the buyer's payment
 * (POST /sim/pay, also the documented way for scripts and tests to pay without a browser).
 */
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { formatYuan, SIGN_TYPES, verifyParams, type SignType } from '../../core';
import { schedulePayNotify } from '../deliveries';
import { merchantStub, type SandboxEnv } from '../hono-env';
import { PAY_SHEET_JS } from '../pay-sheet-script';
import { PAY_REFUSAL_DESC, type PayRefusal } from '../trade';

const PAY_KEYS = ['appId', 'timeStamp', 'nonceStr', 'package', 'signType', 'paySign'] as const;
const FAIL = 'get_brand_wcpay_request:fail';

export const paySheet = new Hono<SandboxEnv>();

paySheet.get(
  '/pay-sheet.js',
  () => new Response(PAY_SHEET_JS, { headers: { 'Content-Type': 'application/javascript; charset=utf-8', 'Cache-Control': 'no-store' } }),
);

// A merchant H5 on another origin may load the sheet too.
paySheet.use('/sim/check-pay-params', cors({ origin: '*', allowMethods: ['POST'], allowHeaders: ['Content-Type'] }));
paySheet.use('/sim/pay', cors({ origin: '*', allowMethods: ['POST'], allowHeaders: ['Content-Type'] }));

async function jsonBody(req: Request): Promise<Record<string, unknown> | null> {
  try {
    const v: unknown = await req.json();
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const refusalStatus = (r: PayRefusal) => (r === 'PREPAY_NOT_FOUND' ? 404 : r === 'OPENID_MISMATCH' ? 403 : 409);

paySheet.post('/sim/check-pay-params', async (c) => {
  const m = c.get('merchant');
  const fail = (reason: string, err_desc: string) => c.json({ ok: false, err_msg: FAIL, reason, err_desc });
  const p = await jsonBody(c.req.raw);
  if (!p) return fail('BAD_REQUEST', '调用支付JSAPI缺少参数');
  for (const k of PAY_KEYS) {
    if (p[k] === undefined || p[k] === null || p[k] === '') return fail('MISSING_PARAM', `调用支付JSAPI缺少参数：${k}`);
    if (typeof p[k] !== 'string') return fail('NOT_A_STRING', `${k}必须是字符串`);
  }
  const v = p as Record<(typeof PAY_KEYS)[number], string>;
  if (v.appId !== m.appId) return fail('APPID_MISMATCH', 'appId与商户号不匹配');
  if (!/^[0-9]{1,12}$/.test(v.timeStamp)) return fail('BAD_TIMESTAMP', 'timeStamp必须是秒级时间戳字符串');
  if (v.nonceStr.length > 32) return fail('BAD_NONCE', 'nonceStr长度不能超过32');
  if (!v.package.startsWith('prepay_id=') || v.package.length === 'prepay_id='.length) return fail('BAD_PACKAGE', 'package格式错误，应为prepay_id=…');
  const signType = SIGN_TYPES.find((t) => t === v.signType) as SignType | undefined;
  if (!signType) return fail('BAD_SIGN_TYPE', 'signType必须是MD5或HMAC-SHA256');
  // paySign covers exactly appId, nonceStr, package, signType, timeStamp (§7).
  const signed = { appId: v.appId, timeStamp: v.timeStamp, nonceStr: v.nonceStr, package: v.package, signType: v.signType, sign: v.paySign };
  if (!(await verifyParams(signed, m.key, signType))) return fail('PAYSIGN_MISMATCH', '支付验证签名失败');
  const found = await merchantStub(c.env, m.mchId).prepay(v.package.slice('prepay_id='.length));
  if (!found.ok) return fail(found.refusal, PAY_REFUSAL_DESC[found.refusal]);
  const o = found.order;
  // 「注意此处需与统一下单的签名类型一致」
  if (signType !== o.sign_type) return fail('SIGN_TYPE_MISMATCH', '支付验证签名失败（signType与统一下单的签名类型不一致）');
  const payer = (await merchantStub(c.env, m.mchId).users()).find((u) => u.openid === o.openid)?.name ?? o.openid;
  return c.json({
    ok: true,
    merchant_name: m.name,
    body: o.params.body ?? '',
    total_fee: o.total_fee,
    amount: formatYuan(o.total_fee),
    prepay_id: o.prepay_id,
    openid: o.openid,
    payer,
  });
});

paySheet.post('/sim/pay', async (c) => {
  const m = c.get('merchant');
  const p = await jsonBody(c.req.raw);
  if (!p || typeof p.prepay_id !== 'string' || typeof p.openid !== 'string' || !p.prepay_id || !p.openid) {
    return c.json({ ok: false, err_msg: FAIL, error: 'BAD_REQUEST', err_desc: 'body must be JSON {"prepay_id": "…", "openid": "…"}' }, 400);
  }
  const paid = await merchantStub(c.env, m.mchId).pay(p.prepay_id, p.openid);
  if (!paid.ok) {
    if ('refusal' in paid)
      return c.json({ ok: false, err_msg: FAIL, error: paid.refusal, err_desc: PAY_REFUSAL_DESC[paid.refusal] }, refusalStatus(paid.refusal));
    if (paid.user_action === 'cancel') return c.json({ ok: false, err_msg: 'get_brand_wcpay_request:cancel' });
    return c.json({ ok: false, err_msg: FAIL, error: 'PAYMENT_FAILED', err_desc: '支付失败，请稍后再试（沙箱场景）' });
  }
  const o = paid.order;
  // The first delivery attempt runs before we answer, so callers see its effect deterministically.
  const delivery = await schedulePayNotify(c.env, m, o, paid.scenario, true);
  return c.json({
    ok: true,
    err_msg: 'get_brand_wcpay_request:ok',
    out_trade_no: o.out_trade_no,
    transaction_id: o.transaction_id,
    time_end: o.time_end,
    notify: delivery ? { state: delivery.state, attempts: delivery.attempts } : null,
  });
});
