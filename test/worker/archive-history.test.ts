// A paid order's history leaves D1 before the order does (docs/scaling.md §6, HISTORY_DAYS): its payment
// attempt, ledger, notifies, events and event attempts move to a verified R2 member while the order row,
// its refunds and anomalies stay hot. The order reads as before (API, payments, console); a refund or a
// notify that needs the history brings it back through the OrderGate; a run cut at each step loses
// nothing; past HOT_DAYS the whole order, history included, is archived.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { type ArchiveLimits, type ArchivePoint, readArchivedOrder, runArchive } from '../../src/worker/archive';
import { forgetAllApplied } from '../../src/worker/notify/applied-cache';
import { daysKnob } from '../support/config-checks';
import { adminPage, login } from '../support/console-helpers';
import { injectedFault } from '../support/injected-fault';
import { OK, postNotify, signedNotify } from '../support/notify-helpers';
import { AUTH, api, freshNo, flushRefundNotify, ledger, orderView, paidOrder, postJson, refundReq } from '../support/refunds-helpers';

const DAY = 86_400_000;
const LIMITS: ArchiveLimits = { partOrders: 1000, deleteChunk: 1, maxSteps: 200, leaseMs: 60_000 };
const HISTORY = ['payment_attempts', 'ledger', 'notifications', 'events'] as const;
const STAYS = ['orders', 'refunds', 'anomalies'] as const;

/** An archive run `days` on, with the default windows (history after 3 days, whole orders after 90). */
function run(days: number, after?: (p: ArchivePoint) => void, webhooks = false) {
  const deps = { db: env.DB, bucket: env.ARCHIVE, hotDays: 90, historyDays: 3, now: Date.now() + days * DAY, holder: crypto.randomUUID(), webhooks };
  return runArchive(deps, LIMITS, { after });
}

async function rowsOf(no: string, tables: readonly string[]): Promise<Record<string, Record<string, unknown>[]>> {
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const t of tables) out[t] = (await env.DB.prepare(`SELECT * FROM ${t} WHERE out_trade_no = ?1`).bind(no).all()).results;
  out.event_attempts = (
    await env.DB.prepare('SELECT * FROM event_attempts WHERE event_seq IN (SELECT seq FROM events WHERE out_trade_no = ?1)').bind(no).all()
  ).results;
  return out;
}

const historyPart = async (no: string) =>
  (await env.DB.prepare('SELECT history_part FROM orders WHERE out_trade_no = ?1').bind(no).first<{ history_part: number | null }>())?.history_part;
const json = async (path: string) => (await (await api(path, { headers: AUTH })).json()) as Record<string, unknown>;
/** D1 returns a BLOB as an array of byte values; the archive gives it back as bytes. */
const bytesOf = (rows: Record<string, unknown>[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Array.isArray(v) ? Uint8Array.from(v as number[]) : v])));

/** A paid order of 3000 with a SUCCESS refund of 500, and everything the API shows of it. */
async function refundedOrder() {
  const no = await paidOrder(3000);
  expect((await refundReq(no, { refund_fee: 500, out_refund_no: `${no}-R1` })).status).toBe(201);
  await flushRefundNotify(`${no}-R1`);
  const seen = {
    order: await json(`/v1/orders/${no}`),
    payments: await json(`/v1/orders/${no}/payments`),
    refunds: await json(`/v1/orders/${no}/refunds`),
    events: await json(`/v1/orders/${no}/events`),
  };
  expect(seen.order.status).toBe('PARTIALLY_REFUNDED');
  expect((seen.events.data as { type: string }[]).map((e) => e.type)).toEqual(['order.paid', 'refund.succeeded']);
  return { no, seen, rows: await rowsOf(no, [...STAYS, ...HISTORY]) };
}

describe('the history of a paid order past HISTORY_DAYS', () => {
  it('moves to a verified member; the order, its refunds and anomalies stay, and read as before', async () => {
    const { no, seen, rows } = await refundedOrder();
    const unpaid = freshNo('HC');
    expect((await postJson('/v1/orders', { description: 'never paid', total_fee: 100, out_trade_no: unpaid })).status).toBe(201);

    // Two days on nothing is due; five days on the paid order's history moves (an unpaid one's stays: a payment could still come).
    expect((await run(2)).historyParts).toBe(0);
    const report = await run(5);
    expect(report).toMatchObject({ historyParts: 1, parts: 1, archived: 1, deleted: 1, caughtUp: true });
    const part = await historyPart(no);
    expect(part).toBeGreaterThan(0);
    expect(await historyPart(unpaid)).toBeNull();

    const now = await rowsOf(no, [...STAYS, ...HISTORY]);
    for (const t of HISTORY) expect(now[t], t).toEqual([]);
    expect(now.event_attempts).toEqual([]);
    expect(now.refunds).toEqual(rows.refunds);
    expect(now.anomalies).toEqual(rows.anomalies);
    expect({ ...now.orders![0], history_part: null, history_trade_type: null }).toEqual(rows.orders![0]);
    // The member holds every row as it was, history included.
    const member = (await readArchivedOrder(env.DB, env.ARCHIVE, no))!;
    expect(member.part).toBe(part);
    for (const t of [...STAYS, ...HISTORY, 'event_attempts']) expect(member.rows[t] ?? [], t).toEqual(bytesOf(rows[t]!));

    // The API and the console read it as before: the order (its trade type kept), its payments from the member, its refunds.
    expect(await json(`/v1/orders/${no}`)).toEqual(seen.order);
    expect(await json(`/v1/orders/${no}/payments`)).toEqual(seen.payments);
    expect(await json(`/v1/orders/${no}/refunds`)).toEqual(seen.refunds);
    // Its webhook events, with their data.order and attempts, from the member (the feed has them no more).
    expect(await json(`/v1/orders/${no}/events`)).toEqual(seen.events);
    expect((await api('/v1/orders/NO-SUCH-ORDER-9/events', { headers: AUTH })).status).toBe(404);
    const feed = (await json('/v1/events?limit=100')).data as { id: string }[];
    expect(feed.map((e) => e.id)).not.toContain((seen.events.data as { id: string }[])[0]!.id);
    const html = await adminPage(`/admin/orders/${no}`, await login());
    expect(html).toContain(String(seen.order.transaction_id));
    expect(html).toContain('order.paid');
    expect(html).toContain(`${no}-R1`);
    expect(html).not.toContain('已归档');

    // A second run has nothing left to move.
    expect(await run(5)).toMatchObject({ parts: 0, deleted: 0, caughtUp: true });
  });

  it('comes back through the OrderGate for a refund, which then books as any other', async () => {
    const { no, rows } = await refundedOrder();
    await run(5);
    expect(await historyPart(no)).toBeGreaterThan(0);
    expect((await refundReq(no, { refund_fee: 700, out_refund_no: `${no}-R2` })).status).toBe(201);
    await flushRefundNotify(`${no}-R2`);
    expect(await historyPart(no)).toBeNull();
    const back = await rowsOf(no, HISTORY);
    expect(back.payment_attempts).toEqual(rows.payment_attempts);
    expect(back.event_attempts).toEqual(rows.event_attempts);
    expect(back.events!.slice(0, rows.events!.length)).toEqual(rows.events);
    expect((await ledger(no)).map((l) => [l.kind, l.amount_fen])).toEqual([
      ['PAYMENT', 3000],
      ['REFUND', 500],
      ['REFUND', 700],
    ]);
    expect(await orderView(no)).toMatchObject({ status: 'PARTIALLY_REFUNDED', refunded_fee: 1200 });
    // A later run moves the history again, the new refund with it.
    await run(5);
    const member = (await readArchivedOrder(env.DB, env.ARCHIVE, no))!;
    expect(member.part).toBe(await historyPart(no));
    expect(member.rows.ledger).toHaveLength(3);
  });

  it('answers a replayed notify as a duplicate, and another transaction as an anomaly, from the gate: the history stays in the archive', async () => {
    const no = await paidOrder(1999);
    const raw = (await rowsOf(no, ['notifications'])).notifications!.find((n) => n.kind === 'PAY')!.raw_body as string;
    await run(5);
    const part = await historyPart(no);
    expect(part).toBeGreaterThan(0);
    forgetAllApplied();
    expect(await (await postNotify(raw)).text()).toBe(OK);
    expect(await historyPart(no)).toBe(part);

    const openid = (await orderView(no)).openid as string;
    const other = await postNotify((await signedNotify(no, { total_fee: 1999, openid, transaction_id: '4200000000209912318888888888' })).xml);
    expect(await other.text()).toBe(OK);
    // Judged on the facts the OrderGate keeps: an anomaly (in D1, where anomalies stay), no credit, nothing restored.
    expect(await historyPart(no)).toBe(part);
    expect(await ledger(no)).toEqual([]);
    const anomalies = await env.DB.prepare('SELECT kind FROM anomalies WHERE out_trade_no = ?1').bind(no).all<{ kind: string }>();
    expect(anomalies.results).toHaveLength(1);
    expect(anomalies.results[0]!.kind).not.toBe('UNKNOWN_ORDER');
    expect((await orderView(no)).status).toBe('PAID');
    // The notify recorded since the move is D1's; past HOT_DAYS the member holds both.
    await run(100);
    const member = (await readArchivedOrder(env.DB, env.ARCHIVE, no))!;
    expect(member.rows.ledger!.map((l) => l.kind)).toEqual(['PAYMENT']);
    expect(member.rows.notifications!.map((n) => n.verdict)).toHaveLength(2);
  });

  it('brings the history back for a notify the read path judges (a replayed refund notify): a duplicate, nothing booked twice', async () => {
    const { no, rows } = await refundedOrder();
    const raw = rows.notifications!.find((n) => n.kind === 'REFUND')!.raw_body as string;
    await run(5);
    expect(await historyPart(no)).toBeGreaterThan(0);
    const res = await postNotify(raw, { 'Content-Type': 'text/xml' }, 'http://127.0.0.1:8787/wechat/refund-notify');
    expect(await res.text()).toBe(OK);
    expect(await historyPart(no)).toBeNull();
    expect((await ledger(no)).map((l) => [l.kind, l.amount_fen])).toEqual([
      ['PAYMENT', 3000],
      ['REFUND', 500],
    ]);
    expect(await orderView(no)).toMatchObject({ status: 'PARTIALLY_REFUNDED', refunded_fee: 500 });
    expect((await rowsOf(no, ['payment_attempts'])).payment_attempts).toEqual(rows.payment_attempts);
  });

  it('restores a history from a later whole-order part whose delete has not reached the order yet', async () => {
    const { no, rows } = await refundedOrder();
    await run(5);
    const mark = (await historyPart(no))!;
    const cut = (p: ArchivePoint) => {
      if (p === 'indexed') throw injectedFault('whole-order archive cut after indexed');
    };
    await expect(run(100, cut)).rejects.toThrow(/whole-order archive cut/);
    // Still in D1 with its mark; its lookup row names the newer part, whose member holds the history too.
    expect(await historyPart(no)).toBe(mark);
    expect((await readArchivedOrder(env.DB, env.ARCHIVE, no))!.part).toBeGreaterThan(mark);
    // A replayed refund notify (the read path) and a new refund: the history comes back, nothing is booked twice.
    const raw = rows.notifications!.find((n) => n.kind === 'REFUND')!.raw_body as string;
    expect(await (await postNotify(raw, { 'Content-Type': 'text/xml' }, 'http://127.0.0.1:8787/wechat/refund-notify')).text()).toBe(OK);
    expect(await historyPart(no)).toBeNull();
    expect((await refundReq(no, { refund_fee: 100, out_refund_no: `${no}-R9` })).status).toBe(201);
    await flushRefundNotify(`${no}-R9`);
    expect((await ledger(no)).map((l) => l.amount_fen)).toEqual([3000, 500, 100]);
    // The part's delete now skips the changed order (the sweep's cursor is past it); the sweep's next pass archives it whole.
    await run(100);
    await run(100);
    expect(await historyPart(no)).toBeUndefined();
    expect((await readArchivedOrder(env.DB, env.ARCHIVE, no))!.rows.ledger).toHaveLength(3);
  });

  it('archives whole, from the later member, an order whose history moved and whose whole-order delete was skipped', async () => {
    const no = await paidOrder(1700);
    await run(5);
    const cut = (p: ArchivePoint) => {
      if (p === 'indexed') throw injectedFault('whole-order archive cut after indexed');
    };
    await expect(run(100, cut)).rejects.toThrow(/whole-order archive cut/);
    // An anomaly judged at the gate (another transaction for the number) changes the order's fence, not its mark.
    const openid = (await orderView(no)).openid as string;
    const other = await postNotify((await signedNotify(no, { total_fee: 1700, openid, transaction_id: '4200000000209912317777777777' })).xml);
    expect(await other.text()).toBe(OK);
    expect(await historyPart(no)).toBeGreaterThan(0);
    // The part's delete skips it (its fence moved); the sweep's next pass reads its history from the later member.
    await run(100);
    expect(await historyPart(no)).toBeGreaterThan(0);
    expect(await run(100)).toMatchObject({ caughtUp: true });
    expect(await historyPart(no)).toBeUndefined();
    const member = (await readArchivedOrder(env.DB, env.ARCHIVE, no))!;
    expect(member.rows.ledger!.map((l) => l.kind)).toEqual(['PAYMENT']);
    expect(member.rows.anomalies).toHaveLength(1);
    expect(member.rows.payment_attempts).toHaveLength(1);
  });

  it('waits, with webhooks on, until every event of the order was delivered: a failed one stays in the feed to redeliver', async () => {
    const no = await paidOrder(1500);
    const setEvents = (status: string) => env.DB.prepare('UPDATE events SET status = ?2 WHERE out_trade_no = ?1').bind(no, status).run();
    await setEvents('failed'); // as after the 3-day retry window with the merchant's endpoint down
    await run(5, undefined, true);
    expect(await historyPart(no)).toBeNull();
    await setEvents('delivered'); // the merchant redelivered it
    await run(5, undefined, true);
    expect(await historyPart(no)).toBeGreaterThan(0);
  });

  for (const point of ['written', 'verified', 'indexed', 'deleted-chunk'] as const) {
    it(`cut after "${point}": nothing is lost, nothing unverified leaves D1, and the next run finishes`, async () => {
      const nos = [await paidOrder(1100), await paidOrder(1200)];
      const before = new Map<string, Record<string, Record<string, unknown>[]>>();
      for (const no of nos) before.set(no, await rowsOf(no, [...STAYS, ...HISTORY]));
      const cut = (p: ArchivePoint) => {
        if (p === point) throw injectedFault(`history move cut after ${p}`);
      };
      await expect(run(5, cut)).rejects.toThrow(/history move cut/);
      for (const no of nos) {
        const moved = (await historyPart(no)) != null;
        // Deleted only after indexing; each order all or nothing.
        if (point !== 'deleted-chunk') expect(moved).toBe(false);
        const now = await rowsOf(no, [...STAYS, ...HISTORY]);
        if (!moved) expect(now).toEqual(before.get(no));
      }
      expect(await run(5)).toMatchObject({ caughtUp: true });
      for (const no of nos) {
        expect(await historyPart(no)).toBeGreaterThan(0);
        const member = (await readArchivedOrder(env.DB, env.ARCHIVE, no))!;
        for (const t of HISTORY) expect(member.rows[t] ?? [], t).toEqual(bytesOf(before.get(no)![t]!));
      }
    });
  }

  it('past HOT_DAYS the whole order leaves D1 with its history, and still reads and refunds', async () => {
    const { no, seen, rows } = await refundedOrder();
    await run(5);
    const report = await run(100);
    expect(report).toMatchObject({ historyParts: 0, caughtUp: true });
    expect(await historyPart(no)).toBeUndefined();
    const member = (await readArchivedOrder(env.DB, env.ARCHIVE, no))!;
    // The member holds the history, so its order row no longer points elsewhere.
    expect(member.rows.orders![0]!.history_part).toBeNull();
    for (const t of [...HISTORY, 'event_attempts', 'refunds']) expect(member.rows[t] ?? [], t).toEqual(bytesOf(rows[t]!));
    expect(await json(`/v1/orders/${no}`)).toEqual({ ...seen.order, archived: true });
    expect(await json(`/v1/orders/${no}/events`)).toEqual(seen.events);
    expect((await json(`/v1/orders/${no}/payments`)).data).toEqual((seen.payments.data as Record<string, unknown>[]).map((p) => ({ ...p, pay: null })));
    expect((await refundReq(no, { refund_fee: 100, out_refund_no: `${no}-R3` })).status).toBe(201);
    await flushRefundNotify(`${no}-R3`);
    expect(await historyPart(no)).toBeNull();
    expect((await ledger(no)).map((l) => l.kind)).toEqual(['PAYMENT', 'REFUND', 'REFUND']);
  });

  it('HISTORY_DAYS: 3 by default, a whole number of days from 1 to 3650 (at or past HOT_DAYS: histories never move alone)', () => {
    const days = daysKnob(env, 'HISTORY_DAYS', 'historyDays');
    expect(days(undefined)).toBe(3);
    expect(days('')).toBe(3);
    expect(days('14')).toBe(14);
    expect(days('0')).toEqual(['HISTORY_DAYS must be at least 1']);
    expect(days('2.5')).toEqual(['HISTORY_DAYS must be a whole number of days']);
  });
});
