// Payment attempts in D1 (migrations/0009): each a payment at WeChat under its own number. Money
// moves (PAID, a duplicate's REFUNDING/REFUNDED) are written by the OrderGate's batches
// (payments-repo.ts, refunds-repo.ts); this holds issuing, reading and closing.
import type { TradeType } from '../model';
import { storedMs, withIsoTimes } from '../platform/stored-time';
import { ORDER_COLUMNS, orderOfStored, type OrderRow } from './orders-repo';

export type AttemptStatus = 'PENDING' | 'PAID' | 'CLOSED' | 'REFUNDING' | 'REFUNDED';

/** One `payment_attempts` row as the repos return it. Times are UTC ISO-8601 (stored as epoch ms since 0015). */
export interface PaymentAttemptRow {
  payment_no: string;
  out_trade_no: string;
  trade_type: TradeType;
  /** Null only for attempts backfilled from orders made before attempts (the 公众号 appid). */
  appid: string | null;
  openid: string | null;
  client_ip: string | null;
  prepay_id: string | null;
  code_url: string | null;
  mweb_url: string | null;
  status: AttemptStatus;
  transaction_id: string | null;
  expires_at: string;
  paid_at: string | null;
  /** A duplicate's payment time as WeChat reported it (yyyyMMddHHmmss, Beijing): its bill day. */
  time_end: string | null;
  closed_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface NewAttempt {
  paymentNo: string;
  outTradeNo: string;
  tradeType: TradeType;
  appId: string;
  openid: string | null;
  clientIp: string;
  prepayId: string;
  codeUrl: string | null;
  mwebUrl: string | null;
  expiresAt: string;
  now: string;
}

const ATTEMPT_JSON = [
  'payment_no',
  'out_trade_no',
  'trade_type',
  'appid',
  'openid',
  'client_ip',
  'prepay_id',
  'code_url',
  'mweb_url',
  'status',
  'transaction_id',
  'expires_at',
  'paid_at',
  'time_end',
  'closed_at',
  'created_at',
  'updated_at',
]
  .map((c) => `'${c}', ${c}`)
  .join(', ');

/** The times an attempt stores as epoch ms (0015). */
export const ATTEMPT_TIMES = ['expires_at', 'paid_at', 'closed_at', 'created_at', 'updated_at'] as const;

/** An attempt row as D1 (or an archive) returns it, with its times as ISO text. */
export function attemptOfStored(row: Record<string, unknown>): PaymentAttemptRow {
  return withIsoTimes<PaymentAttemptRow>(row, ATTEMPT_TIMES);
}

export async function getAttempt(db: D1Database, paymentNo: string): Promise<PaymentAttemptRow | null> {
  const row = await db.prepare('SELECT * FROM payment_attempts WHERE payment_no = ?1').bind(paymentNo).first<Record<string, unknown>>();
  return row ? attemptOfStored(row) : null;
}

/**
 * The order a WeChat number belongs to, and the attempt if the number is one: in ONE read (a first
 * notify's only D1 round trip before the gate). An order from before attempts answers for its own
 * number with no attempt.
 */
export async function orderOfPaymentNo(db: D1Database, paymentNo: string): Promise<{ order: OrderRow; attempt: PaymentAttemptRow | null } | null> {
  const row = await db
    .prepare(
      `SELECT ${ORDER_COLUMNS}, (SELECT json_object(${ATTEMPT_JSON}) FROM payment_attempts WHERE payment_no = ?1) AS attempt_json
       FROM orders WHERE out_trade_no = COALESCE((SELECT out_trade_no FROM payment_attempts WHERE payment_no = ?1), ?1)`,
    )
    .bind(paymentNo)
    .first<Record<string, unknown> & { attempt_json: string | null }>();
  if (!row) return null;
  const { attempt_json, ...order } = row;
  return { order: orderOfStored(order), attempt: attempt_json === null ? null : attemptOfStored(JSON.parse(attempt_json) as Record<string, unknown>) };
}

/** An order's attempts, newest first. */
export async function listAttempts(db: D1Database, outTradeNo: string, limit = 100): Promise<PaymentAttemptRow[]> {
  const res = await db
    .prepare('SELECT * FROM payment_attempts WHERE out_trade_no = ?1 ORDER BY created_at DESC, payment_no DESC LIMIT ?2')
    .bind(outTradeNo, limit)
    .all<Record<string, unknown>>();
  return res.results.map(attemptOfStored);
}

/**
 * The statement that records an issued attempt: only while the order is still payable (CREATED or
 * NOTPAY), so an attempt never appears on an order a notify or a close just moved on. A number
 * taken meanwhile is a primary-key error that rolls the batch back.
 */
export function insertAttemptStatement(db: D1Database, a: NewAttempt): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO payment_attempts (payment_no, out_trade_no, trade_type, appid, openid, client_ip, prepay_id, code_url, mweb_url,
         status, expires_at, created_at, updated_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'PENDING', ?10, ?11, ?11
       WHERE EXISTS (SELECT 1 FROM orders WHERE out_trade_no = ?2 AND status IN ('CREATED','NOTPAY'))
         AND NOT EXISTS (SELECT 1 FROM orders WHERE out_trade_no = ?1 AND out_trade_no <> ?2)`,
    )
    .bind(a.paymentNo, a.outTradeNo, a.tradeType, a.appId, a.openid, a.clientIp, a.prepayId, a.codeUrl, a.mwebUrl, storedMs(a.expiresAt), storedMs(a.now));
}

/** Whether a WeChat number is free: no attempt and no other order uses it. */
export async function numberFree(db: D1Database, paymentNo: string, outTradeNo: string): Promise<boolean> {
  const row = await db
    .prepare(
      `SELECT (SELECT COUNT(*) FROM payment_attempts WHERE payment_no = ?1)
            + (SELECT COUNT(*) FROM orders WHERE out_trade_no = ?1 AND out_trade_no <> ?2) AS taken`,
    )
    .bind(paymentNo, outTradeNo)
    .first<{ taken: number }>();
  return (row?.taken ?? 1) === 0;
}

/** PENDING → CLOSED once WeChat confirmed the close (or never issued it). */
export async function markAttemptClosed(db: D1Database, paymentNo: string, outTradeNo: string, now: string): Promise<boolean> {
  const res = await db
    .prepare(
      `UPDATE payment_attempts SET status = 'CLOSED', closed_at = ?3, updated_at = ?3 WHERE payment_no = ?1 AND out_trade_no = ?2 AND status = 'PENDING'`,
    )
    .bind(paymentNo, outTradeNo, storedMs(now))
    .run();
  return res.meta.changes === 1;
}

/**
 * How long after an attempt stopped being offered it is closed: a buyer who opened it just before (an
 * mweb_url is opened within 5 minutes, then paid in WeChat) gets to finish.
 */
export const EXPIRED_ATTEMPT_GRACE_MS = 15 * 60_000;

/**
 * PENDING attempts WeChat may still take money for although their order no longer needs them (a
 * sibling paid, the order closed, failed or was refunded) or they stopped being offered a grace
 * period ago; at least 5 minutes old (WeChat refuses an earlier close) and not tried in the last 5
 * minutes (`updated_at`, touched by each try). Never the number the order was paid under. Oldest first.
 */
export async function attemptsToClose(db: D1Database, nowMs: number, closeMinAgeMs: number, limit: number): Promise<PaymentAttemptRow[]> {
  const res = await db
    .prepare(
      `SELECT a.* FROM payment_attempts AS a JOIN orders AS o ON o.out_trade_no = a.out_trade_no
       WHERE a.status = 'PENDING' AND a.created_at <= ?2 AND a.updated_at <= ?2
         AND NOT (o.transaction_id IS NOT NULL AND a.payment_no = COALESCE(o.payment_no, o.out_trade_no))
         AND (a.expires_at <= ?1 OR o.status NOT IN ('CREATED','NOTPAY') OR (o.payment_no IS NOT NULL AND o.payment_no <> a.payment_no))
       ORDER BY a.updated_at LIMIT ?3`,
    )
    .bind(nowMs - EXPIRED_ATTEMPT_GRACE_MS, nowMs - closeMinAgeMs, limit)
    .all<Record<string, unknown>>();
  return res.results.map(attemptOfStored);
}

/** A try that settled nothing (WeChat did not confirm): the attempt waits its turn again. */
export async function touchAttempt(db: D1Database, paymentNo: string, now: string): Promise<void> {
  await db.prepare(`UPDATE payment_attempts SET updated_at = ?2 WHERE payment_no = ?1 AND status = 'PENDING'`).bind(paymentNo, storedMs(now)).run();
}

/**
 * Attempts left PENDING although their order was paid under their number (paid by code from before
 * attempts, e.g. during a deploy): marked PAID with the order's transaction, so no sweep closes them.
 */
export async function repairPaidAttempts(db: D1Database, now: string): Promise<number> {
  const res = await db
    .prepare(
      `UPDATE payment_attempts SET status = 'PAID', updated_at = ?1,
         transaction_id = (SELECT transaction_id FROM orders AS o WHERE o.out_trade_no = payment_attempts.out_trade_no),
         paid_at = (SELECT o.paid_at FROM orders AS o WHERE o.out_trade_no = payment_attempts.out_trade_no)
       WHERE status = 'PENDING' AND transaction_id IS NULL AND EXISTS (SELECT 1 FROM orders AS o WHERE o.out_trade_no = payment_attempts.out_trade_no
         AND o.transaction_id IS NOT NULL AND COALESCE(o.payment_no, o.out_trade_no) = payment_attempts.payment_no)`,
    )
    .bind(storedMs(now))
    .run();
  return res.meta.changes ?? 0;
}
