/**
 * Turns a payment or a final refund into a NotifyDelivery, applying the order's notify scenario
 * (never / delay / duplicates / tamper / time scale).
 */
import { buildSignedPayNotify, buildRefundNotify, tamperPayNotify } from './notify';
import { refundNotifyPlain } from './refund';
import type { Scenario } from './scenarios';
import type { SimMerchant } from './settings';
import type { Delivery } from './delivery-do';
import type { SimOrder, SimRefund } from './state';
import { paymentFields } from './trade';

/** A refund completes, and WeChat notifies, a little after it is accepted (real time × time scale). */
const REFUND_NOTIFY_DELAY_MS = 5000;

export function payDeliveryStub(env: Env, outTradeNo: string) {
  return env.NOTIFY_DELIVERY.getByName(`pay:${outTradeNo}`);
}

export function refundDeliveryStub(env: Env, outRefundNo: string) {
  return env.NOTIFY_DELIVERY.getByName(`refund:${outRefundNo}`);
}

async function payBodies(m: SimMerchant, o: SimOrder, s: Scenario): Promise<string[]> {
  const copies = s.notify_duplicates ?? 1;
  // The notify names the order's own appid, trade_type and payer openid (paymentFields).
  const merchant = { appId: o.appid, mchId: m.mchId, key: m.key, signType: o.sign_type };
  const build = async () => {
    const n = await buildSignedPayNotify({ ...paymentFields(o), out_trade_no: o.out_trade_no, total_fee: o.total_fee }, merchant);
    return s.notify_tamper ? tamperPayNotify(n.fields, s.notify_tamper, o.sign_type) : n.xml;
  };
  if (s.notify_duplicate_mode === 'resigned') return Promise.all(Array.from({ length: copies }, build));
  const one = await build();
  return Array.from({ length: copies }, () => one);
}

/**
 * Schedules the payment notify of a just-paid order. With `inline`, the first attempt has run when
 * this returns (unless the scenario delays it). Returns null when the scenario says `never`.
 */
export async function schedulePayNotify(env: Env, m: SimMerchant, o: SimOrder, s: Scenario, inline: boolean): Promise<Delivery | null> {
  if (s.notify === 'never') return null;
  const bodies = await payBodies(m, o, s);
  const url = o.params.notify_url!;
  return payDeliveryStub(env, o.out_trade_no).enqueue(
    { kind: 'pay', url, bodies, delay_ms: s.notify_delay_ms ?? 0, time_scale: s.notify_time_scale ?? 1, loopback_origin: m.publicOrigin },
    inline,
  );
}

/** Schedules the refund notify (encrypted req_info, no sign) for a refund in a final state. */
export async function scheduleRefundNotify(env: Env, m: SimMerchant, r: SimRefund, s: Scenario): Promise<Delivery | null> {
  if (!r.notify_url || r.status === 'PROCESSING' || s.notify === 'never') return null;
  const scale = s.notify_time_scale ?? 1;
  const { xml } = await buildRefundNotify(refundNotifyPlain(r), { appId: r.appid ?? m.appId, mchId: m.mchId, key: m.key });
  const copies = s.notify_duplicates ?? 1;
  return refundDeliveryStub(env, r.out_refund_no).enqueue(
    {
      kind: 'refund',
      url: r.notify_url,
      bodies: Array.from({ length: copies }, () => xml),
      delay_ms: s.notify_delay_ms ?? Math.round(REFUND_NOTIFY_DELAY_MS * scale),
      time_scale: scale,
      loopback_origin: m.publicOrigin,
    },
    false,
  );
}
