/**
 * The test signers (docs/style.md §4.3, stripe's generateTestHeaderString): build the notifies WeChat
 * sends, signed by the one core signer. The simulator delivers these; tests import them to craft
 * and tamper notifies of their own.
 */
import { buildXml, encryptRefundInfo, formatWechatTime, nonceStr, signParams, type SignType } from '../core';
import { newTransactionId } from './ids';
import { openidFor } from './users';

export interface NotifyMerchant {
  appId: string;
  mchId: string;
  /** The APIv2 key. */
  key: string;
  /** The order's sign_type: the notify is signed with it (docs/wechatpay-v2.md §3.1). */
  signType: SignType;
}

/** Any notify fields (extension fields such as coupon_fee_0 included), with the two every notify needs. */
export type PayNotifyInput = { [field: string]: string | number | undefined; out_trade_no: string; total_fee: string | number };

/**
 * A signed payment notify (docs/wechatpay-v2.md §9.1). Every field has a realistic default; a value in
 * `fields` replaces it, and an empty string removes the field (empty fields are never sent).
 * Defaults: return_code/result_code SUCCESS, openid of test user alice under `appId`, JSAPI,
 * bank_type CMB_DEBIT, fee_type CNY, cash_fee = total_fee, a fresh transaction_id, time_end = now,
 * and `sign_type` only for HMAC-SHA256. The returned `fields` include `sign`; `xml` is the body.
 */
export async function buildSignedPayNotify(fields: PayNotifyInput, merchant: NotifyMerchant): Promise<{ fields: Record<string, string>; xml: string }> {
  const now = Date.now();
  const totalFee = String(fields.total_fee);
  const merged: Record<string, string | undefined> = {
    return_code: 'SUCCESS',
    return_msg: 'OK',
    appid: merchant.appId,
    mch_id: merchant.mchId,
    nonce_str: nonceStr(32),
    ...(merchant.signType === 'HMAC-SHA256' ? { sign_type: 'HMAC-SHA256' } : {}),
    result_code: 'SUCCESS',
    openid: openidFor(merchant.appId, 'alice'),
    is_subscribe: 'N',
    trade_type: 'JSAPI',
    bank_type: 'CMB_DEBIT',
    total_fee: totalFee,
    fee_type: 'CNY',
    cash_fee: totalFee,
    transaction_id: newTransactionId(now),
    time_end: formatWechatTime(new Date(now)),
  };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && k !== 'sign') merged[k] = String(v);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(merged)) if (v !== undefined && v !== '') out[k] = v;
  out.sign = await signParams(out, merchant.key, merchant.signType);
  return { fields: out, xml: buildXml(out) };
}

/**
 * A refund notify (docs/wechatpay-v2.md §13): outer return_code, appid, mch_id, nonce_str and req_info,
 * the `<root>` of `plain` AES-256-ECB-encrypted under MD5(key). There is no sign.
 */
export async function buildRefundNotify(
  plain: Record<string, string>,
  merchant: Omit<NotifyMerchant, 'signType'>,
): Promise<{ fields: Record<string, string>; xml: string }> {
  const fields = {
    return_code: 'SUCCESS',
    return_msg: 'OK',
    appid: merchant.appId,
    mch_id: merchant.mchId,
    nonce_str: nonceStr(32),
    req_info: await encryptRefundInfo(plain, merchant.key),
  };
  return { fields, xml: buildXml(fields) };
}

/** A key no merchant has: signs the `sign` tamper scenario. */
const WRONG_KEY = 'FAKE0wrong0key0for0tamper0000000';

/** Scenario `notify_tamper`: the body after signing is changed, re-signed with another key, or unsigned. */
export async function tamperPayNotify(fields: Record<string, string>, how: 'amount' | 'sign' | 'nosign', signType: SignType): Promise<string> {
  const out = { ...fields };
  if (how === 'amount') out.total_fee = String(Number(out.total_fee) + 100);
  if (how === 'sign') {
    delete out.sign;
    out.sign = await signParams(out, WRONG_KEY, signType);
  }
  if (how === 'nosign') delete out.sign;
  return buildXml(out);
}

// API v3 test signers (src/sandbox/v3/notify.ts, v3/signer.ts): the same role for v3 notifies.
export { buildV3PayNotify, buildV3RefundNotify, type V3Notify, type V3NotifyOptions, type V3NotifyParty } from './v3/notify';
export { v3SignatureHeaders, type V3Signer } from './v3/signer';
