// Payment attempts: POST /v1/orders/:out_trade_no/payments (and its JSAPI shortcut, /jsapi). One
// unifiedorder per attempt; an unexpired attempt of the same trade type and buyer is given again,
// never a second prepay; the pay params are signed afresh on every request.
import { nonceStr } from '../../core';
import { PAID_STATUSES } from '../../core/order-state';
import { ChannelError, type Payer, type PayParams, type Prepay, type TradeType } from '../channel';
import type { GatewayDeps } from '../platform/deps';
import { DomainError } from '../platform/errors';
import { errorName, log } from '../platform/log';
import { checkoutUrl } from '../platform/checkout-link';
import { storedMs } from '../platform/stored-time';
import { type PaymentAttemptRow, getAttempt, insertAttemptStatement, listAttempts, numberFree } from './attempts-repo';
import { getOrder, pinPrepayClientIp, updateStatus, type OrderRow } from './orders-repo';
import { applyQueryResult, PREPAY_LIFETIME_MS } from './sync';
import { nextStatus } from './transitions';

/** A stored prepay is offered until this long before its 2 h lifetime ends, so the buyer never gets a dying one. */
const PREPAY_REUSE_MARGIN_MS = 10 * 60_000;
/** An mweb_url works for 5 minutes (docs/wechatpay-v2.md §23.2); past it, the buyer needs a new attempt. */
const MWEB_URL_LIFETIME_MS = 5 * 60_000;
/** How many attempts an order may have: enough for every device and trade type a buyer tries. */
const MAX_ATTEMPTS_PER_ORDER = 20;

const PAID_LIKE: ReadonlySet<string | null> = new Set(PAID_STATUSES);
const PAYABLE: ReadonlySet<string> = new Set(['CREATED', 'NOTPAY']);

/** 409s for orders that can no longer be paid; the client must create a new order. */
function assertPayable(row: OrderRow, nowMs: number): void {
  if (PAID_LIKE.has(row.status)) throw new DomainError('ORDER_PAID', 'the order is already paid');
  if (row.status === 'CLOSED' || row.status === 'CLOSING') throw new DomainError('ORDER_CLOSED', 'the order is closed; create a new order');
  if (row.status !== 'CREATED' && row.status !== 'NOTPAY') throw new DomainError('ORDER_NOT_PAYABLE', 'the order cannot be paid; create a new order');
  if (Date.parse(row.expires_at) <= nowMs) throw new DomainError('ORDER_EXPIRED', 'the order has expired; create a new order');
}

/** Who is asking for an attempt: facts only the HTTP shell can know. */
export interface PayRequester {
  /** The buyer's IP: CF-Connecting-IP of a checkout request, or the client_ip the merchant's server sends. */
  clientIp: string;
  /** False when `clientIp` is the merchant server's own address (no client_ip sent): refused for MWEB. */
  clientIpIsBuyers?: boolean;
  /** The buyer from the server-side OAuth session, if any. Never from the request body. */
  sessionOpenid: string | null;
}

export interface AttemptRequest {
  tradeType: TradeType;
  /** JSAPI: the openid under the 公众号 appid (else the order's, else the OAuth session's); MINIPROGRAM: under the mini-program's. */
  openid?: string | null;
}

export interface AttemptAnswer {
  /** False when an unexpired attempt was given again. */
  created: boolean;
  attempt: PaymentAttemptRow;
  pay: PayParams;
}

/** unifiedorder errors that settle the order for good (docs/reliability.md §5: CREATED → FAILED). */
const DEFINITIVE = new Set(['ORDERCLOSED', 'OUT_TRADE_NO_USED', 'INVALID_REQUEST', 'CONFIG', 'NOAUTH', 'OPENID_MISMATCH', 'BUSINESS']);

/** The buyer an attempt is for (buyer-bound trade types), or null for NATIVE, MWEB and APP. */
function buyerOf(row: OrderRow, req: AttemptRequest, requester: PayRequester): string | null {
  if (req.tradeType === 'JSAPI') {
    const openid = req.openid ?? row.openid ?? requester.sessionOpenid;
    if (!openid) throw new DomainError('OPENID_REQUIRED', "the buyer's openid is unknown: sign in through WeChat OAuth first");
    if (row.openid && openid !== row.openid) throw new DomainError('PREPAY_OPENID_MISMATCH', 'this order is for another WeChat user');
    return openid;
  }
  if (req.tradeType === 'MINIPROGRAM') {
    if (!req.openid) throw new DomainError('OPENID_REQUIRED', "the buyer's openid under the mini-program is required (POST /v1/miniprogram/session)");
    return req.openid;
  }
  return null;
}

/** An attempt that may be given again: same trade type and buyer, still payable for a while. */
function reusable(a: PaymentAttemptRow, tradeType: TradeType, openid: string | null, nowMs: number): boolean {
  return a.status === 'PENDING' && a.trade_type === tradeType && a.openid === openid && Date.parse(a.expires_at) > nowMs;
}

/** The next WeChat number: the order's own for its first attempt, then `<order>_<n>` (cut to 32), else random. */
async function nextPaymentNo(deps: Pick<GatewayDeps, 'db'>, row: OrderRow, attempts: readonly PaymentAttemptRow[]): Promise<string> {
  const candidates =
    attempts.length === 0
      ? [row.out_trade_no]
      : [`${row.out_trade_no.slice(0, 28)}_${attempts.length + 1}`, `${row.out_trade_no.slice(0, 20)}_${nonceStr(11)}`];
  for (const n of candidates) if (await numberFree(deps.db, n, row.out_trade_no)) return n;
  return `${row.out_trade_no.slice(0, 16)}_${nonceStr(15)}`;
}

function payerFor(deps: Pick<GatewayDeps, 'config'>, row: OrderRow, tradeType: TradeType, openid: string | null): Payer {
  switch (tradeType) {
    case 'JSAPI':
    case 'MINIPROGRAM':
      return { tradeType, openid: openid! };
    case 'NATIVE':
      return { tradeType, productId: row.out_trade_no };
    case 'MWEB':
      return { tradeType, scene: { wapUrl: deps.config.publicBaseUrl, wapName: deps.config.merchantName } };
    case 'APP':
      return { tradeType };
  }
}

/** What unifiedorder left, as the attempt row stores it. */
function stored(prepay: Prepay): { prepayId: string; codeUrl: string | null; mwebUrl: string | null } {
  return {
    prepayId: prepay.prepayId,
    codeUrl: prepay.tradeType === 'NATIVE' ? prepay.codeUrl : null,
    mwebUrl: prepay.tradeType === 'MWEB' ? prepay.mwebUrl : null,
  };
}

/** The stored attempt back as the channel's Prepay. */
function prepayOf(a: PaymentAttemptRow): Prepay {
  const prepayId = a.prepay_id ?? '';
  if (a.trade_type === 'NATIVE') return { tradeType: 'NATIVE', prepayId, codeUrl: a.code_url ?? '' };
  if (a.trade_type === 'MWEB') return { tradeType: 'MWEB', prepayId, mwebUrl: a.mweb_url ?? '' };
  return { tradeType: a.trade_type, prepayId };
}

async function issue(deps: GatewayDeps, row: OrderRow, paymentNo: string, appId: string, payer: Payer, clientIp: string, nowMs: number): Promise<Prepay> {
  const ref = { outTradeNo: paymentNo, signType: row.sign_type, appId };
  try {
    return await deps.channel.prepay({
      order: ref,
      payer,
      description: row.description,
      totalFee: row.total_fee, // from our row: the browser never names an amount
      clientIp,
      notifyUrl: `${deps.config.publicBaseUrl}/wechat/notify`,
      expiresAt: new Date(row.expires_at),
      attach: row.attach,
    });
  } catch (e) {
    if (!(e instanceof ChannelError)) throw e;
    (deps.log ?? log).warn('UNIFIEDORDER_FAILED', { outTradeNo: row.out_trade_no, paymentNo, code: e.code, errCode: e.errCode });
    if (e.code === 'ORDERPAID') {
      // Paid already (another device, a lost notify): learn it through a verified query.
      const q = await deps.channel.queryOrder(ref).catch(() => null);
      if (q) await applyQueryResult(deps, row, q, 'ORDERQUERY', paymentNo);
      throw new DomainError('ORDER_PAID', 'the order is already paid');
    }
    // The order's own number refused for good settles the order, as before attempts; another attempt's refusal does not.
    if (DEFINITIVE.has(e.code) && row.status === 'CREATED' && paymentNo === row.out_trade_no && payer.tradeType === 'JSAPI') {
      await updateStatus(deps.db, row.out_trade_no, row.status, nextStatus(row.status, 'PREPAY_REFUSED'), new Date(nowMs).toISOString());
    }
    if (e.code === 'ORDERCLOSED') throw new DomainError('ORDER_CLOSED', 'the order is closed; create a new order');
    if (DEFINITIVE.has(e.code)) throw new DomainError('UPSTREAM_REJECTED', 'WeChat Pay refused the payment');
    // SYSTEMERROR, timeouts, bad answers: WeChat may hold the number now, with this trade type and buyer.
    // The number is retired (an attempt on record, CLOSED, with no prepay: nobody can pay what nobody was
    // given), so the next try, of whatever trade type, takes the next number instead of 201 商户订单号重复.
    await retireNumber(deps, row, paymentNo, payer, appId, clientIp, nowMs);
    throw new DomainError('UPSTREAM_UNAVAILABLE', 'WeChat Pay is unavailable; retry shortly');
  }
}

/** Records a number whose unifiedorder outcome is unknown as a closed attempt without a prepay (never reused). */
async function retireNumber(deps: GatewayDeps, row: OrderRow, paymentNo: string, payer: Payer, appId: string, clientIp: string, nowMs: number): Promise<void> {
  await deps.db
    .prepare(
      `INSERT INTO payment_attempts (payment_no, out_trade_no, trade_type, appid, openid, client_ip, status, expires_at, closed_at, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'CLOSED', ?7, ?7, ?7, ?7) ON CONFLICT (payment_no) DO NOTHING`,
    )
    .bind(paymentNo, row.out_trade_no, payer.tradeType, appId, 'openid' in payer ? payer.openid : null, clientIp, nowMs)
    .run()
    .catch(() => undefined); // bookkeeping: the answer is UPSTREAM_UNAVAILABLE either way
}

/** Fresh pay params for an attempt (a new signature each time, under the order's sign type and the attempt's appid). */
async function payParamsOf(deps: GatewayDeps, row: OrderRow, a: PaymentAttemptRow, nowMs: number): Promise<PayParams> {
  const pay = await deps.channel.payParams(
    prepayOf(a),
    { outTradeNo: a.payment_no, signType: row.sign_type, appId: a.appid ?? deps.config.appId },
    { timeStamp: Math.floor(nowMs / 1000), nonce: nonceStr(32) },
  );
  if (pay.tradeType !== 'MWEB') return pay;
  // Back to the checkout after WeChat's H5 page, which never proves payment: the page asks the order.
  const back = `${await checkoutUrl(deps.config.publicBaseUrl, deps.config.checkoutSecret, row.out_trade_no)}&mweb=1`;
  return { tradeType: 'MWEB', mwebUrl: `${pay.mwebUrl}&redirect_url=${encodeURIComponent(back)}` };
}

/**
 * A payment attempt of `tradeType` for the order: an unexpired one of the same trade type and buyer
 * again, or a new one (its own WeChat number, unifiedorder under the trade type's appid). The first
 * attempt moves the order CREATED → NOTPAY.
 */
export async function payAttempt(deps: GatewayDeps, requester: PayRequester, row: OrderRow, req: AttemptRequest): Promise<AttemptAnswer> {
  const nowMs = deps.now();
  assertPayable(row, nowMs);
  const appId = deps.channel.appIdFor(req.tradeType);
  if (!appId) throw new DomainError('TRADE_TYPE_UNAVAILABLE', `${req.tradeType} payments are not configured for this merchant`);
  const openid = buyerOf(row, req, requester);
  if (req.tradeType === 'MWEB' && requester.clientIpIsBuyers === false) {
    throw new DomainError('CLIENT_IP_REQUIRED', "an MWEB payment needs the buyer's client_ip: WeChat checks it when the buyer opens mweb_url");
  }
  const attempts = await listAttempts(deps.db, row.out_trade_no);
  const again = attempts.find((a) => reusable(a, req.tradeType, openid, nowMs));
  if (again) return { created: false, attempt: again, pay: await payParamsOf(deps, row, again, nowMs) };
  // One buyer at a time per buyer-bound trade type: another buyer waits until that attempt expires.
  if (openid && attempts.some((a) => a.status === 'PENDING' && a.trade_type === req.tradeType && a.openid !== openid && Date.parse(a.expires_at) > nowMs)) {
    throw new DomainError('PREPAY_OPENID_MISMATCH', 'this order is being paid by another WeChat user');
  }
  if (attempts.length >= MAX_ATTEMPTS_PER_ORDER) throw new DomainError('ORDER_NOT_PAYABLE', 'the order has too many payment attempts; create a new order');

  const paymentNo = await nextPaymentNo(deps, row, attempts);
  // Every unifiedorder of the order's own number carries the same parameters, the first client IP included.
  const clientIp = paymentNo === row.out_trade_no ? await pinPrepayClientIp(deps.db, row.out_trade_no, requester.clientIp) : requester.clientIp;
  const prepay = await issue(deps, row, paymentNo, appId, payerFor(deps, row, req.tradeType, openid), clientIp, nowMs);
  if (prepay.tradeType !== req.tradeType) throw new Error('a prepay answered with another trade type');
  const lifetime = req.tradeType === 'MWEB' ? MWEB_URL_LIFETIME_MS : PREPAY_LIFETIME_MS - PREPAY_REUSE_MARGIN_MS;
  const now = new Date(nowMs).toISOString();
  const attempt = await storeAttempt(deps, row, {
    paymentNo,
    outTradeNo: row.out_trade_no,
    tradeType: req.tradeType,
    appId,
    openid,
    clientIp,
    ...stored(prepay),
    expiresAt: new Date(Math.min(nowMs + lifetime, Date.parse(row.expires_at))).toISOString(),
    now,
  });
  await keepAttemptFacts(deps, row, attempt);
  return { created: true, attempt, pay: await payParamsOf(deps, row, attempt, nowMs) };
}

/**
 * After the D1 commit that made the attempt (D1 first, then the cache), its OrderGate keeps what a
 * notify's checks need, and an attempt under a number of its own gets a gate naming the order's: a
 * first notify then costs one D1 round trip (issue 20; order-gate/kept-facts.ts). A cache: a failure
 * is logged and the buyer still gets the attempt; its notify then takes the read path.
 */
async function keepAttemptFacts(deps: GatewayDeps, row: OrderRow, a: PaymentAttemptRow): Promise<void> {
  try {
    await deps.gate(row.out_trade_no).rememberAttempt({
      outTradeNo: row.out_trade_no,
      paymentNo: a.payment_no,
      totalFee: row.total_fee,
      feeType: row.fee_type,
      appId: a.appid ?? deps.config.appId,
      tradeType: a.trade_type,
      openid: a.openid,
    });
    if (a.payment_no !== row.out_trade_no) await deps.gate(a.payment_no).rememberAlias(row.out_trade_no);
  } catch (e) {
    (deps.log ?? log).warn('ATTEMPT_FACTS_NOT_KEPT', { outTradeNo: row.out_trade_no, paymentNo: a.payment_no, error: errorName(e) });
  }
}

/**
 * Records the attempt and, for the order's first, CREATED → NOTPAY (with the batch hooks of a first
 * prepay), in one batch; the order's own number also keeps its prepay on the order row as before
 * attempts. Refused when the order moved on meanwhile (a notify, a close): judged afresh.
 */
async function storeAttempt(deps: GatewayDeps, row: OrderRow, a: Parameters<typeof insertAttemptStatement>[1]): Promise<PaymentAttemptRow> {
  const db = deps.db;
  const stmts = [insertAttemptStatement(db, a)];
  if (row.status === 'CREATED') {
    stmts.push(
      db
        .prepare(`UPDATE orders SET status = 'NOTPAY', updated_at = ?2 WHERE out_trade_no = ?1 AND status = 'CREATED' AND changes() = 1`)
        .bind(row.out_trade_no, storedMs(a.now)),
    );
    for (const hook of deps.batchHooks ?? []) stmts.push(...hook(db, { kind: 'FIRST_PREPAY', outTradeNo: row.out_trade_no }));
  }
  if (a.paymentNo === row.out_trade_no) {
    stmts.push(
      db
        .prepare(
          `UPDATE orders SET prepay_id = ?2, prepay_openid = COALESCE(prepay_openid, ?3), prepay_expires_at = ?4, updated_at = ?5
           WHERE out_trade_no = ?1 AND EXISTS (SELECT 1 FROM payment_attempts WHERE payment_no = ?1 AND created_at = ?6)`,
        )
        .bind(row.out_trade_no, a.prepayId, a.openid, storedMs(a.now) + PREPAY_LIFETIME_MS, storedMs(a.now), storedMs(a.now)),
    );
  }
  let insert: D1Result | undefined;
  try {
    [insert] = await db.batch(stmts);
  } catch (e) {
    if (!/UNIQUE constraint failed|SQLITE_CONSTRAINT/i.test(String((e as Error | null)?.message ?? ''))) throw e;
    // A concurrent request took this number first (the same buyer again: WeChat gave it the same prepay).
    const winner = await getAttempt(db, a.paymentNo);
    if (winner && winner.out_trade_no === row.out_trade_no && reusable(winner, a.tradeType, a.openid, Date.parse(a.now))) return winner;
    throw new DomainError('UPSTREAM_UNAVAILABLE', 'the order changed; retry');
  }
  if (insert?.meta.changes !== 1) {
    const now = await getOrder(db, row.out_trade_no);
    if (!now) throw new Error('order vanished');
    assertPayable(now, deps.now());
    throw new DomainError('UPSTREAM_UNAVAILABLE', 'the order changed; retry');
  }
  const attempt = await getAttempt(db, a.paymentNo);
  if (!attempt) throw new Error('attempt row missing after insert');
  return attempt;
}

/** An order's attempts, newest first, each with fresh pay params while it can still be paid. */
export async function listPayments(deps: GatewayDeps, row: OrderRow): Promise<{ attempt: PaymentAttemptRow; pay: PayParams | null }[]> {
  const nowMs = deps.now();
  const payable = PAYABLE.has(row.status) && Date.parse(row.expires_at) > nowMs;
  const attempts = await listAttempts(deps.db, row.out_trade_no);
  return Promise.all(
    attempts.map(async (a) => ({
      attempt: a,
      pay: payable && a.status === 'PENDING' && Date.parse(a.expires_at) > nowMs ? await payParamsOf(deps, row, a, nowMs) : null,
    })),
  );
}

/** getBrandWCPayRequest parameters (the /jsapi shortcut): a JSAPI attempt's pay params. */
export async function jsapiParams(deps: GatewayDeps, requester: PayRequester, row: OrderRow) {
  const { pay } = await payAttempt(deps, requester, row, { tradeType: 'JSAPI' });
  if (pay.tradeType !== 'JSAPI') throw new Error('JSAPI pay params answered with another trade type');
  return pay.params;
}
