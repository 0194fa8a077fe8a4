// Order creation, prepay storage, sync bookkeeping and reads in D1. Money-state transitions live in the OrderGate's repo.
import type { SignType } from '../../core';
import type { OrderStatus } from '../../core/order-state';
import type { BatchHooks, StoredHash, TradeType } from '../model';
import { storedMs, withIsoTimes } from '../platform/stored-time';

export type { OrderStatus };

/** One `orders` row as the repos return it (migrations/0001_orders.sql). Times are UTC ISO-8601 (stored as epoch ms since 0018). */
export interface OrderRow {
  out_trade_no: string;
  description: string;
  total_fee: number;
  fee_type: string;
  attach: string | null;
  metadata: string | null;
  openid: string | null;
  status: OrderStatus;
  sign_type: SignType;
  /** 0011: 32 bytes (platform/stored-hash.ts). */
  request_hash: StoredHash;
  prepay_id: string | null;
  prepay_openid: string | null;
  prepay_expires_at: string | null;
  /** 0002: spbill_create_ip of the first unifiedorder, repeated on every retry and refresh. */
  prepay_client_ip: string | null;
  transaction_id: string | null;
  bank_type: string | null;
  cash_fee: number | null;
  time_end: string | null;
  paid_at: string | null;
  closed_at: string | null;
  last_notify_at: string | null;
  last_synced_at: string | null;
  /** 0004: Σ refund_fee of the order's SUBMITTING, PROCESSING, SUCCESS and CHANGE refunds. */
  refund_reserved_fee: number;
  /** 0004: Σ refund_fee of its SUCCESS refunds. */
  refunded_fee: number;
  /** 0004: bumped by every refund write (the OrderGate's CAS token). */
  refund_version: number;
  /** 0009: the attempt that paid the order; `trade_type` is that attempt's (both null until paid). */
  payment_no: string | null;
  trade_type: TradeType | null;
  expires_at: string;
  created_at: string;
  updated_at: string;
  /** 0017: the archive part holding its history (attempt, ledger, notifies, events) once moved; null while in D1. */
  history_part?: number | null;
}

interface NewOrder {
  outTradeNo: string;
  description: string;
  totalFee: number;
  attach: string | null;
  metadata: string | null;
  openid: string | null;
  signType: SignType;
  requestHash: string;
  expiresAt: string;
  createdAt: string;
}

/**
 * Inserts a CREATED order; false when the out_trade_no already exists (the caller compares request_hash)
 * or is another order's payment attempt number at WeChat.
 */
export async function insertOrder(db: D1Database, o: NewOrder): Promise<boolean> {
  const res = await db
    .prepare(
      `INSERT INTO orders (out_trade_no, description, total_fee, fee_type, attach, metadata, openid, status, sign_type,
         request_hash, expires_at, created_at, updated_at)
       SELECT ?1, ?2, ?3, 'CNY', ?4, ?5, ?6, 'CREATED', ?7, unhex(?8), ?9, ?10, ?10
       WHERE NOT EXISTS (SELECT 1 FROM payment_attempts WHERE payment_no = ?1 AND out_trade_no <> ?1)
         AND NOT EXISTS (SELECT 1 FROM archive_lookup WHERE number = ?1)
       ON CONFLICT (out_trade_no) DO NOTHING`,
    )
    .bind(o.outTradeNo, o.description, o.totalFee, o.attach, o.metadata, o.openid, o.signType, o.requestHash, storedMs(o.expiresAt), storedMs(o.createdAt))
    .run();
  return res.meta.changes === 1;
}

/** The paying attempt's trade type, SQL over an orders row `o`: kept on the order once its attempt row moved (0017). */
export const tradeTypeSql = (o: string) =>
  `COALESCE((SELECT trade_type FROM payment_attempts AS a WHERE a.payment_no = ${o}.payment_no), ${o}.history_trade_type)`;

/** An order row with the paying attempt's trade type, as the views read it (through `orderOfStored`). */
export const ORDER_COLUMNS = `*, ${tradeTypeSql('orders')} AS trade_type`;

/** The times an order stores as epoch ms (0018). */
export const ORDER_TIMES = [
  'prepay_expires_at',
  'paid_at',
  'closed_at',
  'last_notify_at',
  'last_synced_at',
  'expires_at',
  'created_at',
  'updated_at',
  'next_check_at',
] as const;

/** An order row as D1 (or an archive) returns it, with its times as ISO text: every read of an order goes through this. */
export function orderOfStored<T extends OrderRow = OrderRow>(row: Record<string, unknown>): T {
  return withIsoTimes<T>(row, ORDER_TIMES);
}

export async function getOrder(db: D1Database, outTradeNo: string): Promise<OrderRow | null> {
  const row = await db.prepare(`SELECT ${ORDER_COLUMNS} FROM orders WHERE out_trade_no = ?1`).bind(outTradeNo).first<Record<string, unknown>>();
  return row ? orderOfStored(row) : null;
}

interface PrepayUpdate {
  outTradeNo: string;
  /** The status the caller read; the write only lands if it is still current (compare-and-set). */
  fromStatus: OrderStatus;
  toStatus: OrderStatus;
  prepayId: string;
  openid: string;
  prepayExpiresAt: string;
  now: string;
}

/**
 * Stores the prepay (CREATED→NOTPAY, or a refreshed prepay on NOTPAY) unless the order moved or is
 * bound to another buyer. The first prepay (CREATED→NOTPAY) runs `hooks` right after the CAS.
 */
export async function storePrepay(db: D1Database, u: PrepayUpdate, hooks: BatchHooks = []): Promise<boolean> {
  const stmts = [
    db
      .prepare(
        `UPDATE orders SET status = ?3, prepay_id = ?4, prepay_openid = ?5, prepay_expires_at = ?6, updated_at = ?7
       WHERE out_trade_no = ?1 AND status = ?2 AND (prepay_openid IS NULL OR prepay_openid = ?5)`,
      )
      .bind(u.outTradeNo, u.fromStatus, u.toStatus, u.prepayId, u.openid, storedMs(u.prepayExpiresAt), storedMs(u.now)),
  ];
  if (u.fromStatus === 'CREATED' && u.toStatus === 'NOTPAY') {
    for (const hook of hooks) stmts.push(...hook(db, { kind: 'FIRST_PREPAY', outTradeNo: u.outTradeNo }));
  }
  const [res] = await db.batch(stmts);
  return res?.meta.changes === 1;
}

/** Pins the client IP for unifiedorder on first use and returns the pinned one (the first caller's, under races). */
export async function pinPrepayClientIp(db: D1Database, outTradeNo: string, ip: string): Promise<string> {
  const row = await db
    .prepare('UPDATE orders SET prepay_client_ip = COALESCE(prepay_client_ip, ?2) WHERE out_trade_no = ?1 RETURNING prepay_client_ip')
    .bind(outTradeNo, ip)
    .first<{ prepay_client_ip: string }>();
  return row?.prepay_client_ip ?? ip;
}

/** A status change outside money state (e.g. CREATED→FAILED after a definitive unifiedorder error), compare-and-set. */
export async function updateStatus(db: D1Database, outTradeNo: string, from: OrderStatus, to: OrderStatus, now: string): Promise<boolean> {
  const res = await db
    .prepare('UPDATE orders SET status = ?3, updated_at = ?4 WHERE out_trade_no = ?1 AND status = ?2')
    .bind(outTradeNo, from, to, storedMs(now))
    .run();
  return res.meta.changes === 1;
}

/**
 * Claims the right to run one orderquery sync: succeeds for one caller per window, however many
 * race (the rate limit of docs/wechatpay-v2.md §10: at most one query per order per window).
 */
export async function claimSync(db: D1Database, outTradeNo: string, now: string, lastSyncedBefore: string): Promise<boolean> {
  const res = await db
    .prepare(
      `UPDATE orders SET last_synced_at = ?2
       WHERE out_trade_no = ?1 AND status IN ('CREATED','NOTPAY','CLOSING') AND (last_synced_at IS NULL OR last_synced_at <= ?3)`,
    )
    .bind(outTradeNo, storedMs(now), storedMs(lastSyncedBefore))
    .run();
  return res.meta.changes === 1;
}

export interface ListFilter {
  status?: OrderStatus;
  /** UTC ISO bounds of created_at: [from, to). */
  createdFrom?: string;
  createdTo?: string;
  /** The console's search: out_trade_no, transaction_id, a full openid or a masked one ("oD2V…": its visible prefix). */
  q?: string;
  /** Keyset cursor: rows strictly older than (createdAt, outTradeNo). */
  after?: { createdAt: string; outTradeNo: string };
  limit: number;
}

const PAYER = 'COALESCE(prepay_openid, openid)';

/** The WHERE condition of a console search term, its values bound through `bind`. */
function searchCondition(term: string, bind: (v: string) => string): string {
  const q = term.trim();
  const masked = q.replace(/(…|\.\.\.|\*+)$/u, '');
  // A masked openid names only its visible prefix: a range on the orders_payer index.
  if (masked !== q) return `${PAYER} >= ${bind(masked)} AND ${PAYER} < ${bind(`${masked}\u{10FFFF}`)}`;
  const p = bind(q);
  // Three exact lookups, each on its own index (primary key, transaction_id UNIQUE, orders_payer).
  return `out_trade_no IN (SELECT out_trade_no FROM orders WHERE out_trade_no = ${p} UNION ALL SELECT out_trade_no FROM orders WHERE transaction_id = ${p}
           UNION ALL SELECT out_trade_no FROM orders WHERE ${PAYER} = ${p})`;
}

/** Newest first, keyset-paginated on the (created_at, out_trade_no) / (status, created_at, out_trade_no) indexes. Returns up to limit + 1 rows. */
export async function listOrders(db: D1Database, f: ListFilter): Promise<OrderRow[]> {
  // Only the conditions in use are emitted, so SQLite can pick the matching index; values stay bound.
  const where: string[] = [];
  const params: (string | number)[] = [];
  const bind = (v: string | number) => `?${params.push(v)}`;
  if (f.q) where.push(searchCondition(f.q, bind));
  if (f.status) where.push(`status = ${bind(f.status)}`);
  if (f.createdFrom) where.push(`created_at >= ${bind(storedMs(f.createdFrom))}`);
  if (f.createdTo) where.push(`created_at < ${bind(storedMs(f.createdTo))}`);
  if (f.after) {
    // The cursor keeps the ISO text the list showed (opaque to clients, unchanged by 0018); the key is its ms.
    const c = bind(storedMs(f.after.createdAt));
    where.push(`(created_at < ${c} OR (created_at = ${c} AND out_trade_no < ${bind(f.after.outTradeNo)}))`);
  }
  const sql = `SELECT ${ORDER_COLUMNS} FROM orders ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY created_at DESC, out_trade_no DESC LIMIT ${bind(f.limit + 1)}`;
  const res = await db
    .prepare(sql)
    .bind(...params)
    .all<Record<string, unknown>>();
  return res.results.map((r) => orderOfStored(r));
}
