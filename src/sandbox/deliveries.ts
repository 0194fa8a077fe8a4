/**
 * Turns a payment or a final refund into a NotifyDelivery, applying the order's notify scenario
 * (never / delay / duplicates / tamper / time scale). Orders and refunds requested through API v3 get
 * the v3 notify (src/sandbox/v3/notify.ts), signed by the key the signer mode picks; v2 ones the XML.
 */
import type { SignType } from '../core';
import type { Delivery, V3Copy } from './delivery-do';
import { merchantStub } from './hono-env';
import { buildRefundNotify, buildSignedPayNotify, tamperPayNotify } from './notify';
import { refundNotifyPlain } from './refund';
import type { Scenario } from './scenarios';
import type { SimMerchant } from './settings';
import { isV3, type SimOrder, type SimRefund } from './state';
import { paymentFields } from './trade';
import { refundEvent, v3NotifyBody } from './v3/notify';
import { refundNotifyObject } from './v3/refunds';
import type { Json } from './v3/json';
import { transactionObject } from './v3/transactions';

/** A refund completes, and WeChat notifies, a little after it is accepted (real time × time scale). */
const REFUND_NOTIFY_DELAY_MS = 5000;

export function payDeliveryStub(env: Env, outTradeNo: string) {
  return env.NOTIFY_DELIVERY.getByName(`pay:${outTradeNo}`);
}

export function refundDeliveryStub(env: Env, outRefundNo: string) {
  return env.NOTIFY_DELIVERY.getByName(`refund:${outRefundNo}`);
}

async function payBodies(m: SimMerchant, o: SimOrder, signType: SignType, s: Scenario): Promise<string[]> {
  const copies = s.notify_duplicates ?? 1;
  // The notify names the order's own appid, trade_type and payer openid (paymentFields).
  const merchant = { appId: o.appid, mchId: m.mchId, key: m.key, signType };
  const build = async () => {
    const n = await buildSignedPayNotify({ ...paymentFields(o), out_trade_no: o.out_trade_no, total_fee: o.total_fee }, merchant);
    return s.notify_tamper ? tamperPayNotify(n.fields, s.notify_tamper, signType) : n.xml;
  };
  if (s.notify_duplicate_mode === 'resigned') return Promise.all(Array.from({ length: copies }, build));
  const one = await build();
  return Array.from({ length: copies }, () => one);
}

interface Copies {
  bodies: string[];
  v3?: V3Copy[];
}

/**
 * The v3 copies of one notify: `resigned` duplicates are separate envelopes (own id, nonces), `same` ones
 * one body. Every attempt signs afresh (delivery-do.ts). Tamper `amount` changes amount.total by +100 in
 * the resource after the body was signed, so the signature no longer covers what is sent.
 */
async function v3Copies(env: Env, m: SimMerchant, plain: Json, type: 'transaction' | 'refund', event: [string, string], s: Scenario): Promise<Copies> {
  const key = await merchantStub(env, m.mchId).nextV3NotifyKey();
  const opts = { apiV3Key: m.v3.apiV3Key };
  const build = async (): Promise<[string, V3Copy]> => {
    const body = await v3NotifyBody(plain, type, event[0], event[1], opts);
    const tamper = s.notify_tamper;
    if (tamper === 'amount') {
      const amount = plain.amount as Json;
      const changed = { ...plain, amount: { ...amount, total: (amount.total as number) + 100 } };
      const envelope = JSON.parse(body) as Json;
      const resource = (JSON.parse(await v3NotifyBody(changed, type, event[0], event[1], opts)) as Json).resource;
      return [JSON.stringify({ ...envelope, resource }), { key, signed_body: body }];
    }
    return [body, { key, ...(tamper ? { tamper } : {}) }];
  };
  const n = s.notify_duplicates ?? 1;
  const built = s.notify_duplicate_mode === 'resigned' ? await Promise.all(Array.from({ length: n }, build)) : Array(n).fill(await build());
  return { bodies: built.map(([b]) => b), v3: built.map(([, c]) => c) };
}

/**
 * Schedules the payment notify of a just-paid order. With `inline`, the first attempt has run when
 * this returns (unless the scenario delays it). Returns null when the scenario says `never`.
 */
export async function schedulePayNotify(env: Env, m: SimMerchant, o: SimOrder, s: Scenario, inline: boolean): Promise<Delivery | null> {
  if (s.notify === 'never') return null;
  const signType = o.sign_type;
  const copies: Copies =
    signType === 'RSA'
      ? await v3Copies(env, m, transactionObject(o, m.mchId), 'transaction', ['TRANSACTION.SUCCESS', '支付成功'], s)
      : { bodies: await payBodies(m, o, signType, s) };
  const url = o.params.notify_url!;
  return payDeliveryStub(env, o.out_trade_no).enqueue(
    { kind: 'pay', url, ...copies, delay_ms: s.notify_delay_ms ?? 0, time_scale: s.notify_time_scale ?? 1, loopback_origin: m.publicOrigin },
    inline,
  );
}

/** Schedules the refund notify (v2: encrypted req_info, no sign; v3: REFUND.* per §8.2) for a refund in a final state. */
export async function scheduleRefundNotify(env: Env, m: SimMerchant, r: SimRefund, s: Scenario): Promise<Delivery | null> {
  if (!r.notify_url || r.status === 'PROCESSING' || s.notify === 'never') return null;
  const scale = s.notify_time_scale ?? 1;
  let copies: Copies;
  if (isV3(r)) {
    const plain = refundNotifyObject(r, m.mchId);
    copies = await v3Copies(env, m, plain, 'refund', refundEvent(plain.refund_status), s);
  } else {
    const { xml } = await buildRefundNotify(refundNotifyPlain(r), { appId: r.appid ?? m.appId, mchId: m.mchId, key: m.key });
    copies = { bodies: Array.from({ length: s.notify_duplicates ?? 1 }, () => xml) };
  }
  return refundDeliveryStub(env, r.out_refund_no).enqueue(
    {
      kind: 'refund',
      url: r.notify_url,
      ...copies,
      delay_ms: s.notify_delay_ms ?? Math.round(REFUND_NOTIFY_DELAY_MS * scale),
      time_scale: scale,
      loopback_origin: m.publicOrigin,
    },
    false,
  );
}
