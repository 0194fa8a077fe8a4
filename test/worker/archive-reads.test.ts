// An archived order stays readable (GET /v1/orders/:no, its payments and refunds: the archived copy,
// marked archived), and stays refundable: a refund brings it back into D1 through its OrderGate, then
// runs as any refund, and a later run archives it again with the new refund.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { readArchivedOrder, restoreArchivedRows, runArchive } from '../../src/worker/archive';
import { getAttempt, ORDER_TIMES } from '../../src/worker/orders';
import { type ArchiveRow, type ArchiveValue, gzipText, memberText } from '../../src/core';
import { TABLE_NAMES } from '../../src/worker/archive/archived-tables-repo';
import { orderGate } from '../../src/worker/compose/wiring';
import { forgetAllApplied } from '../../src/worker/notify/applied-cache';
import { adminPage, login } from '../support/console-helpers';
import { OK, postNotify, signedNotify } from '../support/notify-helpers';
import { AUTH, api, flushRefundNotify, ledger, orderView, paidOrder, postJson, refundReq } from '../support/refunds-helpers';

const later = () => Date.now() + 100 * 86_400_000;

async function archiveAll() {
  const report = await runArchive(
    { db: env.DB, bucket: env.ARCHIVE, hotDays: 90, historyDays: 90, now: later(), holder: crypto.randomUUID(), webhooks: false },
    { partOrders: 1000, deleteChunk: 200, maxSteps: 100, leaseMs: 60_000 },
  );
  expect(report.caughtUp).toBe(true);
}

async function inD1(no: string): Promise<boolean> {
  return (await env.DB.prepare('SELECT 1 AS x FROM orders WHERE out_trade_no = ?1').bind(no).first()) !== null;
}

/** A paid order of 3000 with a SUCCESS refund of 500, archived. */
async function archivedRefundedOrder(): Promise<{ no: string; hot: Record<string, unknown> }> {
  const no = await paidOrder(3000);
  expect((await refundReq(no, { refund_fee: 500, out_refund_no: `${no}-R1` })).status).toBe(201);
  await flushRefundNotify(`${no}-R1`);
  const hot = await orderView(no);
  expect(hot.status).toBe('PARTIALLY_REFUNDED');
  await archiveAll();
  expect(await inD1(no)).toBe(false);
  return { no, hot };
}

describe('an archived order', () => {
  it('reads through GET /v1/orders/:no as it was, marked archived, with its payments and refunds', async () => {
    const { no, hot } = await archivedRefundedOrder();
    const res = await api(`/v1/orders/${no}`, { headers: AUTH });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ...hot, archived: true });

    const payments = (await (await api(`/v1/orders/${no}/payments`, { headers: AUTH })).json()) as { data: Record<string, unknown>[] };
    expect(payments.data).toHaveLength(1);
    expect(payments.data[0]).toMatchObject({ payment_no: no, status: 'PAID', pay: null });

    const refunds = (await (await api(`/v1/orders/${no}/refunds`, { headers: AUTH })).json()) as { data: Record<string, unknown>[] };
    expect(refunds.data.map((r) => [r.out_refund_no, r.status, r.refund_fee])).toEqual([[`${no}-R1`, 'SUCCESS', 500]]);

    expect((await api('/v1/orders/NEVER-ARCHIVED-NO-SUCH-ORDER', { headers: AUTH })).status).toBe(404);

    // The console's 订单详情 reads the same archived copy, and says so.
    const html = await adminPage(`/admin/orders/${no}`, await login());
    expect(html).toContain('已归档');
    expect(html).toContain(`${no}-R1`);
    expect(html).toContain(hot.transaction_id as string);
  });

  it('keeps its refunds findable by their own numbers, and never lends a number to another order', async () => {
    const { no } = await archivedRefundedOrder();
    const res = await api(`/v1/refunds/${no}-R1`, { headers: AUTH });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ out_refund_no: `${no}-R1`, out_trade_no: no, status: 'SUCCESS', refund_fee: 500 });
    expect((await api(`/v1/refunds/${no}-NONE`, { headers: AUTH })).status).toBe(404);
    // Another order asking for the archived refund's number: a conflict, nothing reserved or sent.
    const other = await paidOrder(2000);
    const taken = await refundReq(other, { refund_fee: 100, out_refund_no: `${no}-R1` });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(await orderView(other)).toMatchObject({ status: 'PAID', refunded_fee: 0, refundable_fee: 2000 });
    expect(await inD1(no)).toBe(false);
  });

  it('is refunded after archiving: restored through its OrderGate, refunded as usual, archived again later', async () => {
    const { no } = await archivedRefundedOrder();
    const r2 = await refundReq(no, { refund_fee: 700, out_refund_no: `${no}-R2` });
    expect(r2.status).toBe(201);
    expect(await inD1(no)).toBe(true);
    await flushRefundNotify(`${no}-R2`);
    const view = await orderView(no);
    expect(view).toMatchObject({ status: 'PARTIALLY_REFUNDED', refunded_fee: 1200, refundable_fee: 1800 });
    expect(view.archived).toBeUndefined();
    expect((await ledger(no)).map((l) => [l.kind, l.amount_fen])).toEqual([
      ['PAYMENT', 3000],
      ['REFUND', 500],
      ['REFUND', 700],
    ]);

    await archiveAll();
    expect(await inD1(no)).toBe(false);
    const again = (await readArchivedOrder(env.DB, env.ARCHIVE, no))!;
    expect(again.rows.refunds!.map((r) => r.out_refund_no).sort()).toEqual([`${no}-R1`, `${no}-R2`]);
    expect(again.rows.orders![0]).toMatchObject({ refunded_fee: 1200 });
  });

  it('is restored once: a second restore, or one of an order still hot, inserts nothing', async () => {
    const { no } = await archivedRefundedOrder();
    expect(await orderGate(env, no).restoreArchived(no)).toBe('RESTORED');
    expect(await orderGate(env, no).restoreArchived(no)).toBe('HOT');
    expect((await ledger(no)).length).toBe(2);
    expect(await orderGate(env, 'NEVER-ARCHIVED-NO-SUCH-ORDER').restoreArchived('NEVER-ARCHIVED-NO-SUCH-ORDER')).toBe('NOT_ARCHIVED');
  });

  it('archived before 0015 (attempt and refund times as ISO text): restored with its times as epoch ms, read as the same instants', async () => {
    const { no } = await archivedRefundedOrder();
    const { rows, part } = (await readArchivedOrder(env.DB, env.ARCHIVE, no))!;
    const stored = rows.payment_attempts![0]!;
    expect(typeof stored.created_at).toBe('number');
    const iso = (v: ArchiveValue | undefined): ArchiveValue => (typeof v === 'number' ? new Date(v).toISOString() : (v ?? null));
    const times = ['expires_at', 'paid_at', 'closed_at', 'created_at', 'updated_at', 'last_attempt_at', 'last_synced_at', 'succeeded_at'];
    const asOld = (r: ArchiveRow) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, times.includes(k) ? iso(v) : v]));
    const old = { ...rows, payment_attempts: [asOld(stored)], refunds: rows.refunds!.map(asOld) };
    expect(await restoreArchivedRows(env.DB, no, part, old)).toBe('RESTORED');
    expect(await env.DB.prepare('SELECT * FROM payment_attempts WHERE payment_no = ?1').bind(no).first()).toEqual(stored);
    const refundTimes = 'out_refund_no, last_attempt_at, last_synced_at, created_at, updated_at, succeeded_at';
    expect((await env.DB.prepare(`SELECT ${refundTimes} FROM refunds WHERE out_trade_no = ?1`).bind(no).all()).results).toEqual(
      rows.refunds!.map((r) => Object.fromEntries(refundTimes.split(', ').map((k) => [k, r[k]]))),
    );
    expect(await getAttempt(env.DB, no)).toMatchObject({ created_at: iso(stored.created_at), paid_at: iso(stored.paid_at) });
  });

  it('archived before 0018 (order times as ISO text): read through the API and the console as the same order, restored with its times as epoch ms', async () => {
    const { no, hot } = await archivedRefundedOrder();
    const { rows, part } = (await readArchivedOrder(env.DB, env.ARCHIVE, no))!;
    const stored = rows.orders![0]!;
    expect(typeof stored.created_at).toBe('number');
    const iso = (v: ArchiveValue | undefined): ArchiveValue => (typeof v === 'number' ? new Date(v).toISOString() : (v ?? null));
    const old = {
      ...rows,
      orders: [Object.fromEntries(Object.entries(stored).map(([k, v]) => [k, (ORDER_TIMES as readonly string[]).includes(k) ? iso(v) : v]))],
    };
    expect(old.orders[0]!.created_at).toBe(hot.created_at);
    // The order's member as an object written before 0018 holds it: its lookup row names that object.
    const member = await gzipText(memberText(old, TABLE_NAMES));
    const key = `archive/v1/test/${no}-pre0018.ndjson.gz`;
    await env.ARCHIVE.put(key, member);
    await env.DB.batch([
      env.DB.prepare(
        `INSERT INTO archive_parts (day, object_key, schema, order_count, row_count, bytes, sha256, state, verified_at)
         VALUES (20000101, ?1, '0015_integer_times.sql', 1, 1, ?2, '', 'DONE', '2000-01-01T00:00:00.000Z')`,
      ).bind(key, member.length),
      env.DB.prepare('UPDATE archive_lookup SET part = (SELECT id FROM archive_parts WHERE object_key = ?2), pos = 0, len = ?3 WHERE number = ?1').bind(
        no,
        key,
        member.length,
      ),
    ]);
    const res = await api(`/v1/orders/${no}`, { headers: AUTH });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ...hot, archived: true });
    const html = await adminPage(`/admin/orders/${no}`, await login());
    expect(html).toContain('已归档');
    expect(html).not.toContain('Invalid Date');
    expect(await restoreArchivedRows(env.DB, no, part, old)).toBe('RESTORED');
    // Every column as it was before archiving (the hash's bytes aside: an ArrayBuffer from D1, bytes from the archive).
    const { request_hash: _, ...restored } = (await env.DB.prepare('SELECT * FROM orders WHERE out_trade_no = ?1').bind(no).first())!;
    const { request_hash: __, ...archived } = stored;
    expect(restored).toEqual(archived);
    for (const c of ORDER_TIMES) expect(restored[c] === null || typeof restored[c] === 'number').toBe(true);
    expect(await orderView(no)).toEqual(hot);
  });

  it('is not new to a creation that reuses its number: the same request is the archived order, another is a conflict', async () => {
    const no = await paidOrder(1999);
    await archiveAll();
    const same = await postJson('/v1/orders', { description: 'Refund test', total_fee: 1999, out_trade_no: no, openid: (await archivedOpenid(no))! });
    expect(same.status).toBe(200);
    expect(await same.json()).toMatchObject({ out_trade_no: no, status: 'PAID' });
    const other = await postJson('/v1/orders', { description: 'a new order', total_fee: 100, out_trade_no: no });
    expect(other.status).toBe(409);
    expect(await inD1(no)).toBe(false);
  });

  it('is not new to a replayed payment notify: a repeat is answered as a duplicate with no D1 work; another payment restores the order and is judged', async () => {
    const no = await paidOrder(1999);
    await archiveAll();
    const archived = (await readArchivedOrder(env.DB, env.ARCHIVE, no))!;
    const raw = archived.rows.notifications!.find((n) => n.kind === 'PAY')!.raw_body as string;
    forgetAllApplied(); // as after 90 days: this isolate no longer remembers the payment
    // The exact repeat: the order's gate remembers the payment, so nothing is read, restored or recorded.
    const res = await postNotify(raw);
    expect(await res.text()).toBe(OK);
    expect(await inD1(no)).toBe(false);
    // A different transaction for the same number is not an unknown order: the order comes back and is judged as usual.
    const openid = (archived.rows.orders![0]!.prepay_openid ?? archived.rows.orders![0]!.openid) as string;
    const other = await postNotify((await signedNotify(no, { total_fee: 1999, openid, transaction_id: '4200000000209912319999999999' })).xml);
    expect(await other.text()).toBe(OK);
    expect(await inD1(no)).toBe(true);
    expect((await ledger(no)).filter((l) => l.kind === 'PAYMENT')).toHaveLength(1);
    const anomalies = await env.DB.prepare('SELECT kind FROM anomalies WHERE out_trade_no = ?1').bind(no).all<{ kind: string }>();
    expect(anomalies.results.map((a) => a.kind)).not.toContain('UNKNOWN_ORDER');
    expect(anomalies.results).toHaveLength(1);
    expect((await orderView(no)).status).toBe('PAID');
  });
});

async function archivedOpenid(no: string): Promise<string | null> {
  return ((await readArchivedOrder(env.DB, env.ARCHIVE, no))?.rows.orders?.[0]?.openid as string | null) ?? null;
}
