// Reconciliation SQL (migrations/0006): the run per bill date with its chunk progress and totals,
// and the day's items. Progress moves by compare-and-set on (generation, phase, position), so a
// replayed or stale step changes nothing; item writes are upserts keyed by (bill_date, kind, ref).
import type { OutboxEvent } from '../model';
import { outboxStatement } from '../outbox';
import { orderOfStored, type OrderRow } from '../orders';

export type RunStatus = 'PENDING' | 'RUNNING' | 'BALANCED' | 'DISCREPANCIES' | 'NO_BILL' | 'ERROR';
type RunPhase = 'FETCH' | 'BILL' | 'LOCAL' | 'REFUNDS' | 'DONE';
/** Every kind of reconciliation item, in the report's order (the API's enum and by_kind keys). */
export const ITEM_KINDS = [
  'MISSING_LOCALLY',
  'MISSING_AT_WECHAT',
  'AMOUNT_MISMATCH',
  'STATUS_MISMATCH',
  'REFUND_MISSING_LOCALLY',
  'REFUND_MISSING_AT_WECHAT',
  'REFUND_AMOUNT_MISMATCH',
] as const;
export type ItemKind = (typeof ITEM_KINDS)[number];
export type Resolution = 'OPEN' | 'APPLIED';

export interface RunRow {
  bill_date: string;
  status: RunStatus;
  generation: number;
  phase: RunPhase;
  next_chunk: number;
  chunk_count: number;
  local_cursor: string;
  attempts: number;
  next_attempt_at: string | null;
  error: string | null;
  no_bill: number;
  bill_records: number | null;
  bill_payment_count: number | null;
  bill_paid_fee: number | null;
  bill_refund_count: number | null;
  bill_refund_fee: number | null;
  bill_service_millifen: number | null;
  local_payment_count: number | null;
  local_paid_fee: number | null;
  local_refund_count: number | null;
  local_refund_fee: number | null;
  requested_at: string;
  finished_at: string | null;
  updated_at: string;
}

export interface ItemRow {
  kind: ItemKind;
  ref: string;
  out_trade_no: string | null;
  transaction_id: string | null;
  out_refund_no: string | null;
  refund_id: string | null;
  resolution: Resolution;
  bill: string | null;
  local: string | null;
  note: string | null;
  generation: number;
  updated_at: string;
}

export interface NewItem {
  kind: ItemKind;
  ref: string;
  outTradeNo?: string | null;
  transactionId?: string | null;
  outRefundNo?: string | null;
  refundId?: string | null;
  resolution: Resolution;
  bill?: Record<string, unknown> | null;
  local?: Record<string, unknown> | null;
  note?: string | null;
}

export function getRun(db: D1Database, billDate: string): Promise<RunRow | null> {
  return db.prepare('SELECT * FROM reconciliation_runs WHERE bill_date = ?1').bind(billDate).first<RunRow>();
}

/**
 * Starts generation 1 of a day, or the next generation of a finished day when `rerun` (or after an
 * ERROR). A PENDING or RUNNING day is left alone. Returns the run as it now stands and whether this
 * call started it.
 */
export async function beginRun(
  db: D1Database,
  billDate: string,
  now: string,
  firstAttemptAt: string,
  rerun: boolean,
): Promise<{ run: RunRow; started: boolean }> {
  const restartable = rerun ? `status IN ('BALANCED','DISCREPANCIES','NO_BILL','ERROR')` : `status = 'ERROR'`;
  const res = await db
    .prepare(
      `INSERT INTO reconciliation_runs (bill_date, status, generation, phase, next_attempt_at, requested_at, updated_at)
       VALUES (?1, 'PENDING', 1, 'FETCH', ?3, ?2, ?2)
       ON CONFLICT (bill_date) DO UPDATE SET status = 'PENDING', generation = generation + 1, phase = 'FETCH', next_chunk = 0,
         chunk_count = 0, local_cursor = '', attempts = 0, next_attempt_at = ?3, error = NULL, no_bill = 0,
         bill_records = NULL, bill_payment_count = NULL, bill_paid_fee = NULL, bill_refund_count = NULL, bill_refund_fee = NULL,
         bill_service_millifen = NULL, local_payment_count = NULL, local_paid_fee = NULL, local_refund_count = NULL,
         local_refund_fee = NULL, archived_payment_count = 0, archived_paid_fee = 0, archived_refund_count = 0,
         archived_refund_fee = 0, requested_at = ?2, finished_at = NULL, updated_at = ?2
       WHERE ${restartable}`,
    )
    .bind(billDate, now, firstAttemptAt)
    .run();
  return { run: (await getRun(db, billDate))!, started: res.meta.changes === 1 };
}

const whereStep = 'bill_date = ?1 AND generation = ?2 AND phase = ?3';

/** The bill is not there yet (or WeChat failed): stay PENDING until `nextAttemptAt`. */
export async function deferFetch(db: D1Database, billDate: string, generation: number, attempts: number, nextAttemptAt: string, now: string): Promise<boolean> {
  const res = await db
    .prepare(`UPDATE reconciliation_runs SET status = 'PENDING', attempts = ?4, next_attempt_at = ?5, updated_at = ?6 WHERE ${whereStep}`)
    .bind(billDate, generation, 'FETCH', attempts, nextAttemptAt, now)
    .run();
  return res.meta.changes === 1;
}

/**
 * The run is an ERROR, with `events` (its reconciliation.completed) in the same batch: a failing event
 * insert leaves the run where it was. True when this call made the move.
 */
export async function failRun(db: D1Database, billDate: string, generation: number, reason: string, now: string, events: OutboxEvent[] = []): Promise<boolean> {
  const [res] = await db.batch([
    db
      .prepare(`UPDATE reconciliation_runs SET status = 'ERROR', phase = 'DONE', error = ?3, next_attempt_at = NULL, finished_at = ?4, updated_at = ?4
        WHERE bill_date = ?1 AND generation = ?2 AND phase != 'DONE'`)
      .bind(billDate, generation, reason, now),
    ...events.map((e) => outboxStatement(db, e)),
  ]);
  return res?.meta.changes === 1;
}

interface StagedBill {
  noBill: boolean;
  chunkCount: number;
  records: number;
  paymentCount: number;
  paidFee: number;
  refundCount: number;
  refundFee: number;
  serviceMilliFen: number;
}

/**
 * FETCH → BILL (LOCAL when nothing was staged): the bill is staged. In the same batch, the previous generation's items go, except
 * those APPLIED (a fix made is history, and it must never be made again).
 */
export async function finishFetch(db: D1Database, billDate: string, generation: number, s: StagedBill, now: string): Promise<boolean> {
  const [moved] = await db.batch([
    db
      .prepare(
        `UPDATE reconciliation_runs SET status = 'RUNNING', phase = CASE WHEN ?4 = 0 THEN 'LOCAL' ELSE 'BILL' END, next_chunk = 0, chunk_count = ?4, no_bill = ?5,
           bill_records = ?6, bill_payment_count = ?7, bill_paid_fee = ?8, bill_refund_count = ?9, bill_refund_fee = ?10,
           bill_service_millifen = ?11, next_attempt_at = NULL, updated_at = ?12
         WHERE ${whereStep}`,
      )
      .bind(
        billDate,
        generation,
        'FETCH',
        s.chunkCount,
        s.noBill ? 1 : 0,
        s.records,
        s.paymentCount,
        s.paidFee,
        s.refundCount,
        s.refundFee,
        s.serviceMilliFen,
        now,
      ),
    db
      .prepare(`DELETE FROM reconciliation_items WHERE changes() = 1 AND bill_date = ?1 AND generation < ?2 AND resolution != 'APPLIED'`)
      .bind(billDate, generation),
  ]);
  return moved?.meta.changes === 1;
}

function itemStmt(db: D1Database, billDate: string, generation: number, i: NewItem, now: string): D1PreparedStatement {
  // An APPLIED item is never downgraded; anything else is this generation's latest word.
  return db
    .prepare(
      `INSERT INTO reconciliation_items (bill_date, kind, ref, out_trade_no, transaction_id, out_refund_no, refund_id, resolution,
         bill, local, note, generation, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)
       ON CONFLICT (bill_date, kind, ref) DO UPDATE SET resolution = excluded.resolution, transaction_id = excluded.transaction_id,
         refund_id = excluded.refund_id, bill = excluded.bill, local = excluded.local, note = excluded.note,
         generation = excluded.generation, updated_at = excluded.updated_at
       WHERE reconciliation_items.resolution != 'APPLIED'`,
    )
    .bind(
      billDate,
      i.kind,
      i.ref,
      i.outTradeNo ?? null,
      i.transactionId ?? null,
      i.outRefundNo ?? null,
      i.refundId ?? null,
      i.resolution,
      i.bill ? JSON.stringify(i.bill) : null,
      i.local ? JSON.stringify(i.local) : null,
      i.note ?? null,
      generation,
      now,
    );
}

/** Writes items on their own (before a confirmation is attempted, so a crash leaves a trace). */
export async function writeItems(db: D1Database, billDate: string, generation: number, items: NewItem[], now: string): Promise<void> {
  if (items.length > 0) await db.batch(items.map((i) => itemStmt(db, billDate, generation, i, now)));
}

export interface Advance {
  phase: RunPhase;
  /** The position this step started from: the CAS. */
  fromChunk: number;
  fromCursor: string;
  toPhase: RunPhase;
  toChunk: number;
  toCursor: string;
  /** The archived side's sums this step read (added in the same CAS, so exactly once). */
  add?: ArchivedSums;
}

/** Our archived payments and refunds on the day, as the bill counts them (archived-side.ts). */
export interface ArchivedSums {
  payments: number;
  paidFee: number;
  refunds: number;
  refundFee: number;
}

/**
 * One batch: this step's items and extra statements (anomalies), their webhook events (outbox: each
 * written only if its guard holds and at most once per dedupe key), then its progress by CAS.
 * `advanced`: the CAS landed; `written`: the events this batch inserted (to enqueue after the commit).
 */
export async function commitStep(
  db: D1Database,
  billDate: string,
  generation: number,
  items: NewItem[],
  extra: D1PreparedStatement[],
  a: Advance,
  now: string,
  events: OutboxEvent[] = [],
): Promise<{ advanced: boolean; written: OutboxEvent[] }> {
  const stmts = [...items.map((i) => itemStmt(db, billDate, generation, i, now)), ...extra];
  const firstEvent = stmts.length;
  stmts.push(...events.map((e) => outboxStatement(db, e)));
  stmts.push(
    db
      .prepare(
        `UPDATE reconciliation_runs SET phase = ?4, next_chunk = ?5, local_cursor = ?6, updated_at = ?9,
           archived_payment_count = archived_payment_count + ?10, archived_paid_fee = archived_paid_fee + ?11,
           archived_refund_count = archived_refund_count + ?12, archived_refund_fee = archived_refund_fee + ?13
         WHERE ${whereStep} AND next_chunk = ?7 AND local_cursor = ?8`,
      )
      .bind(
        billDate,
        generation,
        a.phase,
        a.toPhase,
        a.toChunk,
        a.toCursor,
        a.fromChunk,
        a.fromCursor,
        now,
        a.add?.payments ?? 0,
        a.add?.paidFee ?? 0,
        a.add?.refunds ?? 0,
        a.add?.refundFee ?? 0,
      ),
  );
  const results = await db.batch(stmts);
  return {
    advanced: results[results.length - 1]?.meta.changes === 1,
    written: events.filter((_, i) => results[firstEvent + i]?.meta.changes === 1),
  };
}

interface LocalTotals {
  paymentCount: number;
  paidFee: number;
  refundCount: number | null;
  refundFee: number | null;
}

/**
 * The last step: our totals (D1's, given, plus the archived side's summed by the steps), and BALANCED, DISCREPANCIES or NO_BILL from the day's items, with `events`
 * (its reconciliation.completed) in the same batch: a failing event insert leaves the run unfinished.
 * The final status when this call made the move; null when it had been made (a stale step).
 */
export async function finishRun(
  db: D1Database,
  billDate: string,
  generation: number,
  local: LocalTotals,
  now: string,
  events: OutboxEvent[] = [],
): Promise<RunStatus | null> {
  const [res] = await db.batch([
    db
      .prepare(
        `UPDATE reconciliation_runs SET phase = 'DONE', local_payment_count = ?4 + archived_payment_count,
         local_paid_fee = ?5 + archived_paid_fee, local_refund_count = ?6 + archived_refund_count,
         local_refund_fee = ?7 + archived_refund_fee, finished_at = ?8, updated_at = ?8,
         status = CASE WHEN EXISTS (SELECT 1 FROM reconciliation_items i WHERE i.bill_date = ?1 AND (i.generation = ?2 OR i.resolution = 'APPLIED'))
                       THEN 'DISCREPANCIES' WHEN no_bill = 1 THEN 'NO_BILL' ELSE 'BALANCED' END
       WHERE ${whereStep} RETURNING status`,
      )
      .bind(billDate, generation, 'REFUNDS', local.paymentCount, local.paidFee, local.refundCount, local.refundFee, now),
    ...events.map((e) => outboxStatement(db, e)),
  ]);
  return (res?.results[0] as { status: RunStatus } | undefined)?.status ?? null;
}

const REPORT_ITEMS = `bill_date = ?1 AND (generation = ?2 OR resolution = 'APPLIED')`;

/** An item's place in the report's order: (kind, ref), the table's unique key within a day. */
export interface ItemKey {
  kind: string;
  ref: string;
}

/**
 * One page of the day's report items (this generation's, plus fixes applied by any run of the day) in
 * (kind, ref) order, after `after`: a range on the UNIQUE (bill_date, kind, ref) index. Up to limit + 1 rows.
 */
export async function listItemsPage(db: D1Database, billDate: string, generation: number, after: ItemKey | null, limit: number): Promise<ItemRow[]> {
  const { results } = await db
    .prepare(
      `SELECT kind, ref, out_trade_no, transaction_id, out_refund_no, refund_id, resolution, bill, local, note, generation, updated_at
       FROM reconciliation_items WHERE ${REPORT_ITEMS} AND (kind, ref) > (?3, ?4) ORDER BY kind, ref LIMIT ?5`,
    )
    .bind(billDate, generation, after?.kind ?? '', after?.ref ?? '', limit + 1)
    .all<ItemRow>();
  return results;
}

/** Every item of the day's report counted by kind and resolution (the same rows listItemsPage pages through). */
export async function countItems(db: D1Database, billDate: string, generation: number): Promise<{ kind: ItemKind; resolution: Resolution; count: number }[]> {
  const { results } = await db
    .prepare(`SELECT kind, resolution, count(*) AS count FROM reconciliation_items WHERE ${REPORT_ITEMS} GROUP BY kind, resolution`)
    .bind(billDate, generation)
    .all<{ kind: ItemKind; resolution: Resolution; count: number }>();
  return results;
}

/** Existing items of these kinds for these refs (a resumed chunk, or a fix applied by an earlier run). */
export async function itemsFor(db: D1Database, billDate: string, kind: ItemKind, refs: string[]): Promise<Map<string, ItemRow>> {
  if (refs.length === 0) return new Map();
  const { results } = await db
    .prepare(
      `SELECT kind, ref, out_trade_no, transaction_id, out_refund_no, refund_id, resolution, bill, local, note, generation, updated_at
       FROM reconciliation_items WHERE bill_date = ?1 AND kind = ?2 AND ref IN (SELECT value FROM json_each(?3))`,
    )
    .bind(billDate, kind, JSON.stringify(refs))
    .all<ItemRow>();
  return new Map(results.map((r) => [r.ref, r]));
}

export function listRuns(db: D1Database, from: string, to: string, limit: number): Promise<D1Result<RunRow>> {
  return db
    .prepare('SELECT * FROM reconciliation_runs WHERE bill_date >= ?1 AND bill_date <= ?2 ORDER BY bill_date DESC LIMIT ?3')
    .bind(from, to, limit)
    .all<RunRow>();
}

/** Runs whose retry time has passed (the cron's backstop for alarms). */
export async function dueRuns(db: D1Database, now: string): Promise<string[]> {
  const { results } = await db
    .prepare(`SELECT bill_date FROM reconciliation_runs WHERE status IN ('PENDING','RUNNING') AND (next_attempt_at IS NULL OR next_attempt_at <= ?1) LIMIT 50`)
    .bind(now)
    .all<{ bill_date: string }>();
  return results.map((r) => r.bill_date);
}

// ---- our books ----

/** One bill number on our side: the order it belongs to, and the attempt when it is one (0009). */
export interface PaymentOnFile {
  order: OrderRow;
  attempt: { status: string; transaction_id: string | null; appid: string | null } | null;
}

/**
 * The bill's numbers (a payment attempt's, or for orders from before attempts the order's own) on our
 * side, in one read (json_each: no 100-parameter limit): each with its order and attempt.
 */
export async function paymentsByNo(db: D1Database, paymentNos: string[]): Promise<Map<string, PaymentOnFile>> {
  if (paymentNos.length === 0) return new Map();
  const { results } = await db
    .prepare(
      `SELECT p.value AS bill_no, o.*, a.status AS attempt_status, a.transaction_id AS attempt_txn, a.appid AS attempt_appid,
         a.payment_no AS attempt_no
       FROM json_each(?1) AS p
       JOIN orders AS o ON o.out_trade_no = COALESCE((SELECT out_trade_no FROM payment_attempts WHERE payment_no = p.value), p.value)
       LEFT JOIN payment_attempts AS a ON a.payment_no = p.value`,
    )
    .bind(JSON.stringify(paymentNos))
    .all<
      Record<string, unknown> & {
        bill_no: string;
        attempt_status: string | null;
        attempt_txn: string | null;
        attempt_appid: string | null;
        attempt_no: string | null;
      }
    >();
  return new Map(
    results.map(({ bill_no, attempt_status, attempt_txn, attempt_appid, attempt_no, ...order }) => [
      bill_no,
      { order: orderOfStored(order), attempt: attempt_no === null ? null : { status: attempt_status!, transaction_id: attempt_txn, appid: attempt_appid } },
    ]),
  );
}

/** An order's statuses once paid: the bill has its payment. */
export const PAID_STATUSES: readonly string[] = ['PAID', 'PAID_AFTER_CLOSE', 'REFUNDING', 'PARTIALLY_REFUNDED', 'REFUNDED'];
/** A duplicate payment's attempt statuses (taken, being or been given back): the bill has it too. */
export const DUPLICATE_STATUSES: readonly string[] = ['REFUNDING', 'REFUNDED'];
const inList = (xs: readonly string[]) => xs.map((x) => `'${x}'`).join(',');
const PAID_SQL = `status IN (${inList(PAID_STATUSES)})`;

export interface LocalPaid {
  out_trade_no: string;
  /** The number the bill knows the payment by: the paying attempt's (0009), else the order's own. */
  payment_no: string;
  transaction_id: string | null;
  total_fee: number;
  status: string;
  time_end: string;
}

/** One page of our paid orders whose time_end falls on the day, after the (time_end, out_trade_no) cursor. */
export async function paidOrdersPage(db: D1Database, billDate: string, cursor: string, limit: number): Promise<LocalPaid[]> {
  const [t, no] = cursor ? (cursor.split('|') as [string, string]) : ['', ''];
  const { results } = await db
    .prepare(
      `SELECT out_trade_no, COALESCE(payment_no, out_trade_no) AS payment_no, transaction_id, total_fee, status, time_end FROM orders
       WHERE time_end >= ?1 AND time_end <= ?2 AND (time_end, out_trade_no) > (?3, ?4) AND ${PAID_SQL}
       ORDER BY time_end, out_trade_no LIMIT ?5`,
    )
    .bind(billDate + '000000', billDate + '235959', t, no, limit)
    .all<LocalPaid>();
  return results;
}

/** Our payments on the day, as the bill counts them: the orders' own, and the duplicates we took (and give back). */
export async function paidTotals(db: D1Database, billDate: string): Promise<{ n: number; fee: number }> {
  const row = await db
    .prepare(
      `SELECT sum(n) AS n, sum(fee) AS fee FROM (
         SELECT count(*) AS n, coalesce(sum(total_fee), 0) AS fee FROM orders WHERE time_end >= ?1 AND time_end <= ?2 AND ${PAID_SQL}
         UNION ALL
         SELECT count(*), coalesce(sum(o.total_fee), 0) FROM payment_attempts AS a JOIN orders AS o ON o.out_trade_no = a.out_trade_no
         WHERE a.status IN (${inList(DUPLICATE_STATUSES)}) AND a.time_end >= ?1 AND a.time_end <= ?2)`,
    )
    .bind(billDate + '000000', billDate + '235959')
    .first<{ n: number; fee: number }>();
  return row ?? { n: 0, fee: 0 };
}
