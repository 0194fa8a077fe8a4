// The archive run (docs/scaling.md §6): bounded steps under one lease. A step either deletes the next
// chunk of an indexed part's orders, or archives the next part: write the object to R2, read it back
// and verify it, record the verified part with its lookup rows (one D1 transaction), then delete.
// Whole orders past HOT_DAYS go first; then the history of paid orders past HISTORY_DAYS, whose order
// rows stay. A run cut anywhere resumes from D1's state; nothing is deleted that is not verified in R2.
import { type ArchiveRows, concatBytes, gzipText, headerText, memberText, sha256Hex } from '../../core';
import {
  type Cursor,
  deleteChunk,
  finishPart,
  moveCursor,
  openPart,
  partsOfDay,
  lookupNumbers,
  readCursor,
  readOrderRows,
  recordPart,
  releaseLease,
  START_CURSOR,
  schemaVersion,
  type SweepKind,
  sweep,
  takeLease,
} from './archive-repo';
import { beijingDayOf, billDaysOf, cutoffOf } from './days';
import { ALIASES, fenceOf, groupByOrder, TABLE_NAMES, withHistory } from './archived-tables-repo';
import { readMembers } from './read';
import { verifyObject } from './verify';

export interface ArchiveDeps {
  readonly db: D1Database;
  readonly bucket: R2Bucket;
  /** Orders created before the Beijing day HOT_DAYS before `now`'s are archived. */
  readonly hotDays: number;
  /** The history of paid orders created before the Beijing day HISTORY_DAYS before `now`'s moves (≥ hotDays: never). */
  readonly historyDays: number;
  /** Milliseconds since the epoch: the cron's scheduled time. */
  readonly now: number;
  /** Who runs: the lease's holder (unique per run). */
  readonly holder: string;
  /** WEBHOOK_URL is set: an order waits for its events to be delivered (or to fail) before it is archived. */
  readonly webhooks: boolean;
}

export interface ArchiveLimits {
  /** Orders per part (one R2 object): bounds a step's memory and time. */
  readonly partOrders: number;
  /** Orders per delete transaction. */
  readonly deleteChunk: number;
  /** Steps per run (a part takes two: archive, then delete): bounds the run's D1 queries (about 70 a part). */
  readonly maxSteps: number;
  /** How long the lease holds if the run dies without releasing it. */
  readonly leaseMs: number;
}

export const ARCHIVE_LIMITS: ArchiveLimits = { partOrders: 1000, deleteChunk: 200, maxSteps: 24, leaseMs: 15 * 60_000 };

/** Where a test may cut a run (throw), after each durable step. */
export type ArchivePoint = 'written' | 'verified' | 'indexed' | 'deleted-chunk';
export type ArchiveHooks = { readonly after?: (point: ArchivePoint) => Promise<void> | void };

export interface ArchiveReport {
  busy: boolean;
  steps: number;
  parts: number;
  archived: number;
  deleted: number;
  /** Of `parts`, those holding only their orders' history. */
  historyParts: number;
  /** True when the sweep reached the cutoff and nothing is left to delete. */
  caughtUp: boolean;
}

export async function runArchive(deps: ArchiveDeps, limits: ArchiveLimits = ARCHIVE_LIMITS, hooks: ArchiveHooks = {}): Promise<ArchiveReport> {
  const report: ArchiveReport = { busy: false, steps: 0, parts: 0, historyParts: 0, archived: 0, deleted: 0, caughtUp: false };
  if (!(await takeLease(deps.db, deps.holder, deps.now, limits.leaseMs))) return { ...report, busy: true };
  // The sweeps still to finish in this run, oldest first; a finished sweep restarts at its next run.
  const sweeps: { kind: SweepKind; cutoff: number }[] = [{ kind: 'archive', cutoff: cutoffOf(deps.now, deps.hotDays) }];
  if (deps.historyDays < deps.hotDays) sweeps.push({ kind: 'history', cutoff: cutoffOf(deps.now, deps.historyDays) });
  try {
    while (report.steps < limits.maxSteps && !report.caughtUp) {
      report.steps++;
      await step(deps, limits, hooks, report, sweeps);
    }
  } finally {
    await releaseLease(deps.db, deps.holder);
  }
  return report;
}

async function step(
  deps: ArchiveDeps,
  limits: ArchiveLimits,
  hooks: ArchiveHooks,
  report: ArchiveReport,
  sweeps: { kind: SweepKind; cutoff: number }[],
): Promise<void> {
  const open = await openPart(deps.db);
  if (open !== null) {
    // Bounded: a part has at most partOrders orders, and each chunk that deletes none ends the loop.
    for (let chunk = 0; chunk <= Math.ceil(limits.partOrders / limits.deleteChunk); chunk++) {
      const n = await deleteChunk(deps.db, deps.webhooks, open, limits.deleteChunk);
      report.deleted += n;
      if (n === 0) break;
      await hooks.after?.('deleted-chunk');
    }
    await finishPart(deps.db, open.id, deps.now);
    return;
  }
  while (sweeps.length > 0) {
    const { kind, cutoff } = sweeps[0]!;
    const cursor = await readCursor(deps.db, kind);
    const swept = await sweep(deps.db, kind, deps.webhooks, cursor, cutoff, limits.partOrders);
    if (swept.length === 0) {
      // The sweep reached its cutoff: its next run starts over (orders that were not final then may be now).
      await moveCursor(deps.db, deps.holder, kind, START_CURSOR);
      sweeps.shift();
      continue;
    }
    const day = beijingDayOf(swept[0]!.created_at);
    const ofDay = swept.filter((r) => beijingDayOf(r.created_at) === day);
    const last = ofDay[ofDay.length - 1]!;
    const next = { at: last.created_at, no: last.out_trade_no };
    const final = ofDay.filter((r) => r.eligible === 1);
    if (final.length === 0) return moveCursor(deps.db, deps.holder, kind, next);
    const hot = groupByOrder(
      await readOrderRows(
        deps.db,
        final.map((r) => r.out_trade_no),
      ),
    );
    // The fences are D1's rows (what a delete compares); the member also holds a moved history.
    const fences = new Map([...hot].map(([no, rows]) => [no, fenceOf(rows)]));
    const moved = new Map(final.flatMap((r) => (r.history_part === null ? [] : [[r.out_trade_no, r.history_part] as const])));
    const orders = await withMovedHistory(deps, hot, moved);
    await archivePart(deps, { day, orders, fences, next, history: kind === 'history' }, hooks);
    report.parts++;
    if (kind === 'history') report.historyParts++;
    report.archived += orders.size;
    return;
  }
  report.caughtUp = true;
}

/**
 * The orders' rows with the history that moved before them, read back from the member their lookup row
 * names (one read per part): the history's own part, or a later part of the order that left D1 only in
 * part (its delete skipped), whose member holds that history and more. A marked order with no lookup
 * row, or one naming an older part, cannot be: the run stops before writing anything.
 */
async function withMovedHistory(deps: ArchiveDeps, hot: Map<string, ArchiveRows>, moved: Map<string, number>): Promise<Map<string, ArchiveRows>> {
  const found = await lookupNumbers(deps.db, [...moved.keys()]);
  if ([...found.values()].reduce((n, at) => n + at.numbers.length, 0) !== moved.size) throw new Error('a moved history has no lookup row');
  for (const at of found.values()) {
    const members = await readMembers(deps.bucket, at);
    for (const [i, no] of at.numbers.entries()) {
      const rows = hot.get(no);
      if (!rows || !members[i] || at.part < (moved.get(no) ?? Infinity)) throw new Error(`the moved history of order ${no} could not be read`);
      hot.set(no, withHistory(rows, members[i]!));
    }
  }
  return hot;
}

interface PartInput {
  day: string;
  orders: Map<string, ArchiveRows>;
  fences: Map<string, string>;
  next: Cursor;
  history: boolean;
}

async function archivePart(deps: ArchiveDeps, { day, orders, fences, next, history }: PartInput, hooks: ArchiveHooks) {
  const schema = await schemaVersion(deps.db);
  const dayNo = Number(day.replaceAll('-', ''));
  const members: Uint8Array[] = [await gzipText(headerText({ schema, day, tables: TABLE_NAMES }))];
  let pos = members[0]!.length;
  let rowCount = 0;
  const lookups: [string, 0 | 1, number, number][] = [];
  const refunds: [string, string][] = [];
  const pending: [string, string][] = [];
  const billDays: [number, number, number][] = [];
  const expected: { no: string; pos: number; len: number; rows: number }[] = [];
  for (const [no, rows] of orders) {
    const member = await gzipText(memberText(rows, TABLE_NAMES));
    const count = Object.values(rows).reduce((n, rs) => n + rs.length, 0);
    lookups.push([no, 0, pos, member.length]);
    for (const a of rows[ALIASES.table] ?? []) {
      const alias = a[ALIASES.column];
      if (typeof alias === 'string' && alias !== no) lookups.push([alias, 1, pos, member.length]);
    }
    pending.push([no, fences.get(no) ?? fenceOf(rows)]);
    // A history part's orders stay in D1, where reconciliation reads them (archive_days waits for the whole order).
    if (!history) for (const d of billDaysOf(rows)) billDays.push([d, pos, member.length]);
    if (!history) for (const r of rows.refunds ?? []) refunds.push([String(r.out_refund_no), no]);
    expected.push({ no, pos, len: member.length, rows: count });
    members.push(member);
    pos += member.length;
    rowCount += count;
  }
  const body = concatBytes(members);
  const sha256 = await sha256Hex(body);
  const token = crypto.randomUUID().slice(0, 8);
  const objectKey = `archive/v1/${day}/p${String((await partsOfDay(deps.db, dayNo)) + 1).padStart(4, '0')}-${token}.ndjson.gz`;
  await deps.bucket.put(objectKey, body, { sha256, customMetadata: { schema, orders: String(orders.size), rows: String(rowCount) } });
  await hooks.after?.('written');
  await verifyObject(deps.bucket, objectKey, sha256, expected);
  await hooks.after?.('verified');
  const recorded = await recordPart(deps.db, deps.holder, deps.now, {
    day: dayNo,
    objectKey,
    schema,
    orderCount: orders.size,
    rowCount,
    bytes: body.length,
    sha256,
    lookups,
    pending,
    billDays,
    refunds,
    cursor: next,
    history,
  });
  if (!recorded) throw new Error('archive lease lost before the part was recorded');
  await hooks.after?.('indexed');
}
