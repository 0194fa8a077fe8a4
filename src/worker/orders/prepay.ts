// POST /v1/orders/:out_trade_no/jsapi: one unifiedorder per order and buyer, then fresh getBrandWCPayRequest params.
import { nonceStr } from '../../core';
import { PAID_STATUSES } from '../../core/order-state';
import { ChannelError } from '../channel';
import type { GatewayDeps } from '../platform/deps';
import { DomainError } from '../platform/errors';
import { log } from '../platform/log';
import { getOrder, pinPrepayClientIp, storePrepay, updateStatus, type OrderRow } from './orders-repo';
import { applyQueryResult, PREPAY_LIFETIME_MS } from './sync';
import { nextStatus } from './transitions';

/** A stored prepay is reused until this long before its 2 h lifetime ends, so the buyer never gets a dying one. */
const PREPAY_REUSE_MARGIN_MS = 10 * 60_000;

const PAID_LIKE: ReadonlySet<string | null> = new Set(PAID_STATUSES);

/** 409s for orders that can no longer be paid; the client must create a new order. */
function assertPayable(row: OrderRow, nowMs: number): void {
  if (PAID_LIKE.has(row.status)) throw new DomainError('ORDER_PAID', 'the order is already paid');
  if (row.status === 'CLOSED' || row.status === 'CLOSING') throw new DomainError('ORDER_CLOSED', 'the order is closed; create a new order');
  if (row.status !== 'CREATED' && row.status !== 'NOTPAY') throw new DomainError('ORDER_NOT_PAYABLE', 'the order cannot be paid; create a new order');
  if (Date.parse(row.expires_at) <= nowMs) throw new DomainError('ORDER_EXPIRED', 'the order has expired; create a new order');
}

/** Who is asking for the pay params: facts only the HTTP shell can know. */
export interface PayRequester {
  /** From CF-Connecting-IP only; X-Forwarded-For is client-controlled. */
  clientIp: string;
  /** The buyer from the server-side OAuth session, if any. Never from the request body. */
  sessionOpenid: string | null;
}

function reusable(row: OrderRow, openid: string, nowMs: number): row is OrderRow & { prepay_id: string } {
  return !!row.prepay_id && row.prepay_openid === openid && Date.parse(row.prepay_expires_at ?? '') - PREPAY_REUSE_MARGIN_MS > nowMs;
}

/** unifiedorder errors that settle the order for good (docs/reliability.md §5: CREATED → FAILED). */
const DEFINITIVE = new Set(['ORDERCLOSED', 'OUT_TRADE_NO_USED', 'INVALID_REQUEST', 'CONFIG', 'NOAUTH', 'OPENID_MISMATCH', 'BUSINESS']);

async function issuePrepay(deps: GatewayDeps, requester: PayRequester, row: OrderRow, openid: string, nowMs: number): Promise<string> {
  const { config } = deps;
  // Every unifiedorder of one order carries the same parameters, the first client IP included.
  const spbillCreateIp = await pinPrepayClientIp(deps.db, row.out_trade_no, requester.clientIp);
  const order = { outTradeNo: row.out_trade_no, signType: row.sign_type };
  try {
    const prepay = await deps.channel.prepay({
      order,
      payer: { tradeType: 'JSAPI', openid },
      description: row.description,
      totalFee: row.total_fee, // from our row: the browser never names an amount
      clientIp: spbillCreateIp,
      notifyUrl: `${config.publicBaseUrl}/wechat/notify`,
      expiresAt: new Date(row.expires_at),
      attach: row.attach,
    });
    if (prepay.tradeType !== 'JSAPI') throw new Error('a JSAPI prepay answered with another trade type');
    return prepay.prepayId;
  } catch (e) {
    if (!(e instanceof ChannelError)) throw e;
    (deps.log ?? log).warn('UNIFIEDORDER_FAILED', { outTradeNo: row.out_trade_no, code: e.code, errCode: e.errCode });
    if (e.code === 'ORDERPAID') {
      // Paid already (another device, a lost notify): learn it through a verified query.
      const q = await deps.channel.queryOrder(order).catch(() => null);
      if (q) await applyQueryResult(deps, row, q, 'ORDERQUERY');
      throw new DomainError('ORDER_PAID', 'the order is already paid');
    }
    if (DEFINITIVE.has(e.code) && row.status === 'CREATED') {
      const failed = nextStatus(row.status, 'PREPAY_REFUSED');
      await updateStatus(deps.db, row.out_trade_no, row.status, failed, new Date(nowMs).toISOString());
    }
    if (e.code === 'ORDERCLOSED') throw new DomainError('ORDER_CLOSED', 'the order is closed; create a new order');
    if (DEFINITIVE.has(e.code)) throw new DomainError('UPSTREAM_REJECTED', 'WeChat Pay refused the order');
    // SYSTEMERROR, timeouts, bad answers: repeating with identical parameters is safe.
    throw new DomainError('UPSTREAM_UNAVAILABLE', 'WeChat Pay is unavailable; retry shortly');
  }
}

export async function jsapiParams(deps: GatewayDeps, requester: PayRequester, row: OrderRow) {
  const nowMs = deps.now();
  assertPayable(row, nowMs);
  const openid = row.openid ?? requester.sessionOpenid;
  if (!openid) throw new DomainError('OPENID_REQUIRED', "the buyer's openid is unknown: sign in through WeChat OAuth first");
  if (row.prepay_openid && row.prepay_openid !== openid) {
    throw new DomainError('PREPAY_OPENID_MISMATCH', 'this order is being paid by another WeChat user');
  }
  let prepayId: string;
  if (reusable(row, openid, nowMs)) {
    prepayId = row.prepay_id;
  } else {
    prepayId = await issuePrepay(deps, requester, row, openid, nowMs);
    const stored = await storePrepay(
      deps.db,
      {
        outTradeNo: row.out_trade_no,
        fromStatus: row.status,
        toStatus: nextStatus(row.status, 'PREPAY_ISSUED'),
        prepayId,
        openid,
        prepayExpiresAt: new Date(nowMs + PREPAY_LIFETIME_MS).toISOString(),
        now: new Date(nowMs).toISOString(),
      },
      deps.batchHooks,
    );
    if (!stored) {
      // Someone else moved the order meanwhile (a notify, a close, a concurrent jsapi): judge it afresh.
      const now = await getOrder(deps.db, row.out_trade_no);
      if (!now) throw new Error('order vanished');
      assertPayable(now, nowMs);
      if (now.prepay_openid !== openid) throw new DomainError('PREPAY_OPENID_MISMATCH', 'this order is being paid by another WeChat user');
      if (!reusable(now, openid, nowMs)) throw new DomainError('UPSTREAM_UNAVAILABLE', 'the order changed; retry');
      prepayId = now.prepay_id;
    }
  }
  // paySign is a new signature with the order's sign_type (= the unifiedorder sign_type).
  const pay = await deps.channel.payParams(
    { tradeType: 'JSAPI', prepayId },
    { outTradeNo: row.out_trade_no, signType: row.sign_type },
    { timeStamp: Math.floor(nowMs / 1000), nonce: nonceStr(32) },
  );
  if (pay.tradeType !== 'JSAPI') throw new Error('JSAPI pay params answered with another trade type');
  return pay.params;
}
