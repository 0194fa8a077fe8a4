// The console's pages against real D1, OrderGate and the simulator: overview figures equal what was
// paid (from the daily rollup written in the payment's own batch), the order timeline, a refund from
// the console through createRefund, an anomaly listed and acknowledged (who/when/note), search,
// filters, pagination and the CSV export.
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminPage, adminPost, csrfOf, login } from '../support/console-helpers';
import { OK, postNotify, signedNotify } from '../support/notify-helpers';
import { BUYER, api, jsapiFor, postJson } from '../support/orders-helpers';
import { flushRefundNotify, orderView, paidOrder } from '../support/refunds-helpers';

let cookie: string;
beforeAll(async () => {
  cookie = await login('财务小王');
});

/** The text of `[data-figure=name]` inside the overview card `id`. */
function figure(html: string, id: string, name: string): string {
  const card = html.slice(html.indexOf(`id="fig-${id}"`));
  const m = new RegExp(`data-figure="${name}">([^<]*)<`).exec(card);
  return m?.[1] ?? '';
}

async function todayRollup() {
  const day = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
  return env.DB.prepare('SELECT * FROM console_daily WHERE day = ?1')
    .bind(day)
    .first<{ refund_count: number; refund_fee: number; paid_count: number; paid_fee: number }>();
}

describe('console pages', () => {
  const paid: string[] = [];

  it('overview: three payments of ¥12.34, ¥23.45, ¥34.56 show ¥70.35 paid today, the same as the orders table says', async () => {
    for (const fee of [1234, 2345, 3456]) paid.push(await paidOrder(fee));
    // One order got a prepay but was never paid: the success rate is 3 of 4.
    const unpaid = `UNPAID${Date.now()}`;
    expect((await postJson('/v1/orders', { description: '未支付', total_fee: 999, out_trade_no: unpaid, openid: BUYER })).status).toBe(201);
    expect((await jsapiFor(unpaid)).status).toBe(200);

    const html = await adminPage('/admin', cookie);
    expect(figure(html, 'today', 'paid')).toBe('¥70.35');
    expect(figure(html, 'today', 'paid-count')).toBe('3');
    expect(figure(html, 'today', 'net')).toBe('¥70.35');
    expect(figure(html, 'today', 'rate')).toBe('75.0%');
    expect(figure(html, 'd30', 'paid')).toBe('¥70.35');
    expect(html).toContain('id="chart-paid"');
    expect(html).toContain('id="chart-rate"');
    expect(html).toContain('2026');

    // The rollup agrees with a scan of the orders (which the page itself never does).
    const scan = await env.DB.prepare('SELECT COUNT(*) AS n, SUM(total_fee) AS fee FROM orders WHERE paid_at IS NOT NULL').first<{ n: number; fee: number }>();
    expect(await todayRollup()).toMatchObject({ paid_count: scan!.n, paid_fee: scan!.fee, cohort_prepaid: 4, cohort_paid: 3 });
  });

  it("an order's page shows its number, amount, paid state and the notify that paid it", async () => {
    const no = paid[0]!;
    const html = await adminPage(`/admin/orders/${no}`, cookie);
    expect(html).toContain(`<dd id="out-trade-no">${no}</dd>`);
    expect(html).toMatch(/id="order-amount">¥12\.34</);
    expect(html).toMatch(/id="order-status"><span class="tag ok">已支付</);
    expect(html).toMatch(/data-verdict="APPLIED">收到支付通知 · 已入账/);
    expect(html).toContain('由支付通知确认');
    const txn = (await orderView(no)).transaction_id as string;
    expect(html).toContain(`微信支付单号 ${txn}`);
  });

  it('a refund from the console confirms first, then goes through the refund use case; the rollup counts it once', async () => {
    const no = paid[1]!;
    const before = (await todayRollup())!;
    const page = await adminPage(`/admin/orders/${no}`, cookie);
    // Step 1 only shows the confirmation: nothing is reserved yet.
    const confirm = await adminPost(`/admin/orders/${no}/refund`, cookie, { _csrf: csrfOf(page), amount: '5.00', reason: '少发一件' });
    expect(confirm.status).toBe(200);
    const confirmHtml = await confirm.text();
    expect(confirmHtml).toContain('id="confirm-amount">¥5.00<');
    expect((await orderView(no)).refundable_fee).toBe(2345);
    const outRefundNo = /name="out_refund_no" value="([^"]+)"/.exec(confirmHtml)![1]!;

    // Without the CSRF token the confirmation is refused.
    const forged = await adminPost(`/admin/orders/${no}/refund/confirm`, cookie, { refund_fee: '500', out_refund_no: outRefundNo });
    expect(forged.status).toBe(403);
    expect((await orderView(no)).refundable_fee).toBe(2345);

    const fields = { _csrf: csrfOf(confirmHtml), refund_fee: '500', reason: '少发一件', out_refund_no: outRefundNo };
    const done = await adminPost(`/admin/orders/${no}/refund/confirm`, cookie, fields);
    expect(done.status).toBe(303);
    expect(done.headers.get('Location')).toBe(`/admin/orders/${no}?refund=${outRefundNo}`);
    // A double submit is the same refund (idempotent on out_refund_no), not a second one.
    expect((await adminPost(`/admin/orders/${no}/refund/confirm`, cookie, fields)).status).toBe(303);
    expect(await adminPage(`/admin/orders/${no}`, cookie)).toContain('处理中');
    await flushRefundNotify(outRefundNo); // the simulator's refund notify settles it
    const view = await orderView(no);
    expect(view).toMatchObject({ status: 'PARTIALLY_REFUNDED', refunded_fee: 500, refundable_fee: 1845 });

    const after = (await todayRollup())!;
    expect(after.refund_count - before.refund_count).toBe(1);
    expect(after.refund_fee - before.refund_fee).toBe(500);
    const overview = await adminPage('/admin', cookie);
    expect(figure(overview, 'today', 'net')).toBe('¥65.35');

    const detail = await adminPage(`/admin/orders/${no}?refund=${outRefundNo}`, cookie);
    expect(detail).toContain(`退款 ${outRefundNo} 已提交`);
    expect(detail).toContain('退款成功 ¥5.00');
    const list = await adminPage('/admin/refunds', cookie);
    expect(list).toContain(outRefundNo);
    expect(list).toContain('少发一件');
  });

  it('refusals are shown, not applied: more than refundable, a malformed amount', async () => {
    const no = paid[2]!;
    const page = await adminPage(`/admin/orders/${no}`, cookie);
    const tooMuch = await adminPost(`/admin/orders/${no}/refund`, cookie, { _csrf: csrfOf(page), amount: '34.57' });
    expect(tooMuch.status).toBe(400);
    expect(await tooMuch.text()).toContain('退款金额超过可退金额');
    const bad = await adminPost(`/admin/orders/${no}/refund`, cookie, { _csrf: csrfOf(page), amount: '1.005' });
    expect(bad.status).toBe(400);
    const over = await adminPost(`/admin/orders/${no}/refund/confirm`, cookie, { _csrf: csrfOf(page), refund_fee: '3457', out_refund_no: 'RCONSOLEOVER1' });
    expect(over.status).toBe(409);
    expect(await over.text()).toContain('退款金额超过可退金额');
    expect((await orderView(no)).refunded_fee).toBe(0);
  });

  it('an authentic notify with a wrong amount is listed as an anomaly and acknowledged with a note, keeping who and when', async () => {
    const no = paid[2]!;
    const txn = (await orderView(no)).transaction_id as string;
    const { xml } = await signedNotify(no, { total_fee: 1, transaction_id: txn, openid: BUYER });
    const reply = await postNotify(xml);
    expect(await reply.text()).toBe(OK);

    const list = await adminPage('/admin/anomalies', cookie);
    const row = new RegExp(`<tr data-id="(\\d+)" data-kind="AMOUNT_MISMATCH">.*?${no}.*?</tr>`, 's').exec(list);
    expect(row).not.toBeNull();
    expect(row![0]).toContain('通知金额 ¥0.01');
    expect(row![0]).toContain('应为 ¥34.56');
    const id = row![1]!;
    const overview = await adminPage('/admin', cookie);
    expect(Number(/id="open-anomalies">(\d+)</.exec(overview)![1])).toBeGreaterThanOrEqual(1);

    expect((await adminPost(`/admin/anomalies/${id}/ack`, cookie, { note: '已核对' })).status).toBe(403);
    const ack = await adminPost(`/admin/anomalies/${id}/ack`, cookie, { _csrf: csrfOf(list), note: '已与微信核对，通知金额被篡改' });
    expect(ack.status).toBe(303);
    const stored = await env.DB.prepare('SELECT * FROM anomalies WHERE id = ?1').bind(Number(id)).first<Record<string, string>>();
    expect(stored).toMatchObject({ acknowledged_by: '财务小王', ack_note: '已与微信核对，通知金额被篡改' });
    expect(Math.abs(Date.parse(stored!.acknowledged_at!) - Date.now())).toBeLessThan(60_000);
    // The first acknowledgement stands.
    await adminPost(`/admin/anomalies/${id}/ack`, cookie, { _csrf: csrfOf(list), note: '第二次' });
    expect(await env.DB.prepare('SELECT ack_note FROM anomalies WHERE id = ?1').bind(Number(id)).first('ack_note')).toBe('已与微信核对，通知金额被篡改');
    expect(await adminPage('/admin/anomalies', cookie)).not.toContain(`data-id="${id}"`);
    expect(await adminPage('/admin/anomalies?all=1', cookie)).toMatch(/财务小王 于 [0-9-]+ [0-9:]+ 确认：已与微信核对/);
  });

  it('orders: search by out_trade_no, transaction_id and masked openid; status filter; pagination', async () => {
    const no = paid[0]!;
    const txn = (await orderView(no)).transaction_id as string;
    const rowsOf = (html: string) => [...html.matchAll(/<tr data-no="([^"]+)"/g)].map((m) => m[1]);
    expect(rowsOf(await adminPage(`/admin/orders?q=${no}`, cookie))).toEqual([no]);
    expect(rowsOf(await adminPage(`/admin/orders?q=${txn}`, cookie))).toEqual([no]);
    const masked = `${BUYER.slice(0, 4)}…`;
    expect(rowsOf(await adminPage(`/admin/orders?q=${encodeURIComponent(masked)}`, cookie))).toEqual(expect.arrayContaining(paid));
    expect(rowsOf(await adminPage('/admin/orders?status=PARTIALLY_REFUNDED', cookie))).toEqual([paid[1]]);
    const all = rowsOf(await adminPage('/admin/orders', cookie));
    expect(all.length).toBe(4);

    // 55 more orders: 50 on the first page, the rest on the next, none twice.
    const stmts = Array.from({ length: 55 }, (_, i) =>
      env.DB.prepare(
        `INSERT INTO orders (out_trade_no, description, total_fee, status, sign_type, request_hash, expires_at, created_at, updated_at)
         VALUES (?1, 'bulk', 100, 'CREATED', 'MD5', 'h', 4070908800000, ?2, ?2)`, // epoch ms since 0018 (2099-01-01)
      ).bind(`BULK${String(i).padStart(4, '0')}xx`, Date.now() - 86_400_000 - i * 1000),
    );
    await env.DB.batch(stmts);
    const first = await adminPage('/admin/orders', cookie);
    const next = /id="next-page" href="([^"]+)"/.exec(first)![1]!.replace(/&amp;/g, '&');
    const second = await adminPage(next, cookie);
    const seen = [...rowsOf(first), ...rowsOf(second)];
    expect(rowsOf(first).length).toBe(50);
    expect(new Set(seen).size).toBe(59);
    expect(second).not.toContain('id="next-page"');
  });

  it('CSV export: UTF-8 with BOM, CRLF, every field quoted, amounts in yuan, a Beijing date range, formulas defused', async () => {
    await env.DB.prepare(
      `INSERT INTO orders (out_trade_no, description, total_fee, status, sign_type, request_hash, expires_at, created_at, updated_at)
       VALUES ('CSVFORMULA01', '=HYPERLINK("x"),"含逗号"', 100001, 'CREATED', 'MD5', 'h', 4070908800000, ?1, ?1)`, // epoch ms since 0018
    )
      .bind(Date.now())
      .run();
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const res = await api(`/admin/orders.csv?from=${today}&to=${today}`, { headers: { Cookie: cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('Content-Disposition')).toBe(`attachment; filename="orders-${today}-${today}.csv"`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder().decode(bytes.slice(3));
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('"商户订单号","微信支付订单号","状态","状态代码","商品描述","订单金额(元)","已退款(元)","付款人","创建时间(北京)","支付时间(北京)"');
    expect(lines.at(-1)).toBe('');
    const line = (no: string) => lines.find((l) => l.startsWith(`"${no}",`))!;
    expect(line(paid[0]!)).toMatch(new RegExp(`^"${paid[0]}","\\d+","已支付","PAID","Refund test","12\\.34","0\\.00","${BUYER.slice(0, 4)}…","${today} `));
    expect(line(paid[1]!)).toContain(',"23.45","5.00",');
    expect(line('CSVFORMULA01')).toBe(
      `"CSVFORMULA01","","待支付","CREATED","'=HYPERLINK(""x""),""含逗号""","1000.01","0.00","",${line('CSVFORMULA01').split(',').at(-2)},""`,
    );
    // The bulk orders were created yesterday (Beijing) or earlier: not in today's range.
    expect(text).not.toContain('BULK0000xx');
    expect(lines.length - 2).toBe(5); // the 4 orders of this file created today and CSVFORMULA01
  });
});
