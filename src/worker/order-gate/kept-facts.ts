// What an OrderGate keeps in its storage besides the paid-memo (issue 20): the immutable facts a
// payment notify's checks need, so that a first notify costs one D1 round trip (the commit) and none
// is spent reading. A cache, never the source of truth: written only after the D1 commit that made the
// attempt (D1 first, then the cache: docs/reliability.md §6.1), so a lost write only sends the notify
// down the read path. Two kinds of gate keep them:
// - the order's gate (named by out_trade_no): the order's amount and currency, and per attempt its
//   appid, trade type and buyer;
// - an attempt's own gate when its number is not the order's (`<order>_<n>` or random, so nothing can
//   derive the order from it): an alias naming the order.
import type { NoticeTarget } from '../../core/payment-notice-checks';
import type { AttemptFacts } from '../model';

const ORDER_KEY = 'order';
const ALIAS_KEY = 'alias';
const attemptKey = (paymentNo: string) => `attempt:${paymentNo}`;

interface KeptOrder {
  outTradeNo: string;
  totalFee: number;
  feeType: string;
}

interface KeptAttempt {
  appId: string;
  tradeType: string;
  openid: string | null;
}

/** On the order's gate. Facts never change, so a repeated or late write is harmless. */
export function keepAttempt(kv: SyncKvStorage, f: AttemptFacts): void {
  kv.put<KeptOrder>(ORDER_KEY, { outTradeNo: f.outTradeNo, totalFee: f.totalFee, feeType: f.feeType });
  kv.put<KeptAttempt>(attemptKey(f.paymentNo), { appId: f.appId, tradeType: f.tradeType, openid: f.openid });
}

/** On the gate named by an attempt's own number. */
export function keepAlias(kv: SyncKvStorage, outTradeNo: string): void {
  kv.put(ALIAS_KEY, outTradeNo);
}

/** What this gate knows of `paymentNo`: the order it is an alias for, the checks' target, or nothing. */
export function keptFor(kv: SyncKvStorage, paymentNo: string): { alias: string } | { target: NoticeTarget } | null {
  const alias = kv.get<string>(ALIAS_KEY);
  if (alias !== undefined) return { alias };
  const order = kv.get<KeptOrder>(ORDER_KEY);
  const attempt = order && kv.get<KeptAttempt>(attemptKey(paymentNo));
  if (!order || !attempt) return null;
  return { target: { outTradeNo: order.outTradeNo, totalFee: order.totalFee, feeType: order.feeType, attempt } };
}
