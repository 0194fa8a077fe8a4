// The console's 对账 and 通知 pages against real D1, the Reconciler and OrderGate DOs, the simulator's
// bill and its webhook receiver: a reconciled day's totals and items, a re-run that needs CSRF and goes
// through requestReconciliation; order.paid with its attempts, a redelivery that needs CSRF and records
// a new attempt; a receiver's `<script>` answer shown as text; no secret on any page; the overview's
// last reconciliation and 7-day webhook health, read without a table scan (EXPLAIN QUERY PLAN); a day's
// items 50 to a page, 下一页 leading to the rest.
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadOverview } from '../../src/worker/console/overview';
import { adminGet, adminPost, csrfOf, form, login, ORIGIN } from '../support/console-helpers';
import { BUYER, createOrder, freshNo, jsapiFor, prepayIdOf, simPay } from '../support/orders-helpers';
import { dayBack, drive, ledger, payOnDay, plantPaid, runRow, start } from '../support/reconciliation-helpers';
import { apiWith, attemptRows, configureReceiver, eventRow, eventRows, messageFor, receiverEnv, runQueue } from '../support/webhooks-helpers';

let cookie: string;
const pages: string[] = [];

beforeAll(async () => {
  cookie = await login('对账员');
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** A console page (200), under the default env or an override; every page is kept for the secrets check. */
async function page(path: string, e?: Env): Promise<string> {
  const res = e ? await apiWith(e, path, { headers: { Cookie: cookie }, redirect: 'manual' }) : await adminGet(path, cookie);
  expect(res.status, path).toBe(200);
  const html = await res.text();
  pages.push(html);
  return html;
}

const statusOf = async (path: string) => (await adminGet(path, cookie)).status;

/** A console form POST under an env override (WEBHOOK_URL at the simulator's receiver). */
function postWith(e: Env, path: string, fields: Record<string, string>): Promise<Response> {
  const f = form(fields);
  return apiWith(e, path, { method: 'POST', body: f.body, headers: { ...f.headers, Origin: ORIGIN, Cookie: cookie }, redirect: 'manual' });
}

/** The row of table `id` whose attribute `attr` is `value`. */
function rowOf(html: string, attr: string, value: string): string {
  const at = html.indexOf(`${attr}="${value}"`);
  expect(at, `${attr}=${value}`).toBeGreaterThan(-1);
  return html.slice(at, html.indexOf('</tr>', at));
}

const totalCells = (html: string, id: string) => {
  const row = rowOf(html, 'data-total', id);
  return [/data-side="bill">([^<]*)</.exec(row)?.[1], /data-side="ours">([^<]*)</.exec(row)?.[1]];
};

describe('对账', () => {
  const day = dayBack(4);
  let silent: { outTradeNo: string; transactionId: string };
  let planted: string;

  it("a reconciled day shows both sides' totals (¥, fen and 1/1000 fen exact) and its items with their resolution", async () => {
    await payOnDay(4);
    await payOnDay(4, { totalFee: 1 });
    silent = await payOnDay(4, { totalFee: 250, scenario: { notify: 'never' } });
    planted = freshNo('PLANT');
    await plantPaid(planted, day);
    expect((await start(day)).status).toBe(202);
    await drive(day);

    const list = await page('/admin/reconciliation');
    const row = rowOf(list, 'data-day', day);
    expect(row).toContain('有差异');
    // 19.99 + 0.01 + 2.50 at WeChat; ours adds the planted 5.00. Fee 0.14, net 22.36 (bill) and 27.36 (ours).
    for (const v of ['3 / 4', '¥22.50', '¥27.50', '¥0.14000', '¥22.36000', '¥27.36000']) expect(row).toContain(v);

    const html = await page(`/admin/reconciliation/${day}`);
    expect(html).toMatch(/id="recon-status"><span class="tag bad">有差异</);
    expect(totalCells(html, 'payment_count')).toEqual(['3', '4']);
    expect(totalCells(html, 'paid_fee')).toEqual(['¥22.50', '¥27.50']);
    expect(totalCells(html, 'refund_fee')).toEqual(['¥0.00', '¥0.00']);
    expect(totalCells(html, 'service_charge')).toEqual(['¥0.14000', '（按账单）']);
    expect(totalCells(html, 'net_settlement')).toEqual(['¥22.36000', '¥27.36000']);

    const applied = rowOf(html, 'data-kind', 'MISSING_LOCALLY');
    expect(applied).toContain('data-resolution="APPLIED"');
    expect(applied).toContain(silent.outTradeNo);
    expect(applied).toContain(silent.transactionId);
    expect(applied).toContain('total_fee=¥2.50');
    const open = rowOf(html, 'data-kind', 'MISSING_AT_WECHAT');
    expect(open).toContain('data-resolution="OPEN"');
    expect(open).toContain(planted);
    expect(open).toContain('total_fee=¥5.00');
    expect(open).toContain('待处理（OPEN）');
  });

  it('re-run: CSRF on both steps, a confirmation that starts nothing, then the same use case as POST /v1/reconciliations (rerun)', async () => {
    const html = await page(`/admin/reconciliation/${day}`);
    const csrf = csrfOf(html);
    expect(html).toContain('id="rerun-form"');

    expect((await adminPost('/admin/reconciliation/rerun', cookie, { bill_date: day })).status).toBe(403);
    expect((await adminPost('/admin/reconciliation/rerun', cookie, { bill_date: day, _csrf: 'forged' })).status).toBe(403);
    const confirm = await adminPost('/admin/reconciliation/rerun', cookie, { bill_date: day, _csrf: csrf });
    expect(confirm.status).toBe(200);
    const confirmHtml = await confirm.text();
    expect(confirmHtml).toContain('确认重新对账');
    expect(confirmHtml).toContain('id="rerun-confirm"');
    expect(await runRow(day)).toMatchObject({ generation: 1, status: 'DISCREPANCIES' }); // step 1 started nothing

    expect((await adminPost('/admin/reconciliation/rerun/confirm', cookie, { bill_date: day })).status).toBe(403);
    expect(await runRow(day)).toMatchObject({ generation: 1 });

    const done = await adminPost('/admin/reconciliation/rerun/confirm', cookie, { bill_date: day, _csrf: csrf });
    expect(done.status).toBe(303);
    expect(done.headers.get('Location')).toBe(`/admin/reconciliation/${day}?started=2`);
    expect(['PENDING', 'RUNNING']).toContain((await runRow(day))!.status);
    await drive(day);
    expect(await runRow(day)).toMatchObject({ generation: 2, status: 'DISCREPANCIES' });

    const after = await page(`/admin/reconciliation/${day}?started=2`);
    expect(after).toContain('已发起第 2 次对账');
    expect(rowOf(after, 'data-kind', 'MISSING_LOCALLY')).toContain('data-resolution="APPLIED"');
    expect(await ledger(silent.outTradeNo)).toHaveLength(1); // the fix is not applied twice

    // The use case's own date rule: today cannot be reconciled.
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const refused = await adminPost('/admin/reconciliation/rerun', cookie, { day: today, _csrf: csrf });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('账单日期无效');
    const refusedAtConfirm = await adminPost('/admin/reconciliation/rerun/confirm', cookie, { bill_date: today.replaceAll('-', ''), _csrf: csrf });
    expect(refusedAtConfirm.status).toBe(400);
    expect(await runRow(today.replaceAll('-', ''))).toBeNull();

    // A day never reconciled: 404 page; starting it from the list asks first.
    expect(await statusOf(`/admin/reconciliation/${dayBack(6)}`)).toBe(404);
    const first = await adminPost('/admin/reconciliation/rerun', cookie, {
      day: `${dayBack(6).slice(0, 4)}-${dayBack(6).slice(4, 6)}-${dayBack(6).slice(6)}`,
      _csrf: csrf,
    });
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('确认对账');
    expect(await runRow(dayBack(6))).toBeNull();
  });
});

describe('对账: a day with more items than a page', () => {
  it('shows 50 items and the total; 下一页 carries the cursor to the rest, each item once; a forged cursor is the first page', async () => {
    const day = dayBack(9);
    // One-letter prefix: plantPaid's transaction_id keeps the first 13 characters of the order number.
    const planted = Array.from({ length: 53 }, () => freshNo('P'));
    for (const no of planted) await plantPaid(no, day);
    await start(day);
    expect((await drive(day)).status).toBe('DISCREPANCIES');

    const shown = (html: string) => [...html.matchAll(/<tr data-kind="MISSING_AT_WECHAT"[\s\S]*?<a href="\/admin\/orders\/([^"]+)"/g)].map((m) => m[1]!);
    const first = await page(`/admin/reconciliation/${day}`);
    expect(first).toContain('差异明细（53）');
    expect(shown(first)).toHaveLength(50);
    const next = /<a class="button secondary" id="next-page" href="([^"]+)">下一页<\/a>/.exec(first)?.[1];
    expect(next).toMatch(new RegExp(`^/admin/reconciliation/${day}\\?after=[A-Za-z0-9_-]+$`));
    expect(first).not.toContain('第一页');

    const second = await page(next!);
    expect(second).toContain('差异明细（53）');
    expect(shown(second)).toHaveLength(3);
    expect(second).not.toContain('id="next-page"');
    expect(second).toContain('没有更多了');
    expect(second).toContain(`href="/admin/reconciliation/${day}?">第一页</a>`);
    expect([...shown(first), ...shown(second)]).toEqual([...planted].sort());

    expect(shown(await page(`/admin/reconciliation/${day}?after=not-a-cursor`))).toEqual(shown(first));
  });
});

/** An order paid through the simulator: one order.paid event, pending. */
async function paidWithEvent() {
  const order = await createOrder({ openid: BUYER });
  const params = (await (await jsapiFor(order.out_trade_no)).json()) as { package: string };
  expect((await simPay(prepayIdOf(params))).body.ok).toBe(true);
  const events = await eventRows(order.out_trade_no);
  expect(events.map((e) => e.type)).toEqual(['order.paid']);
  return { no: order.out_trade_no as string, event: events[0]! };
}

describe('通知', () => {
  it('lists order.paid with its delivery state and attempts; the detail shows every attempt; the order timeline shows them', async () => {
    const { no, event } = await paidWithEvent();
    const hook = receiverEnv();
    await configureReceiver(hook.name, 1, 'http500');
    await runQueue(hook.env, [await messageFor(event.id)]);
    await runQueue(hook.env, [await messageFor(event.id)]);
    expect(await eventRow(event.id)).toMatchObject({ status: 'delivered', attempts: 2 });

    const list = await page('/admin/webhooks');
    const row = rowOf(list, 'data-id', event.id);
    expect(row).toContain('data-status="delivered"');
    expect(row).toContain('order.paid');
    expect(row).toContain(no);
    expect(row).toMatch(/data-attempts>2</);
    expect(await page(`/admin/webhooks?type=order.paid&order=${no}`)).toContain(`data-id="${event.id}"`);
    expect(await page('/admin/webhooks?type=order.closed')).not.toContain(`data-id="${event.id}"`);

    const detail = await page(`/admin/webhooks/${event.id}`);
    expect(detail).toContain(`<dd id="event-id">${event.id}</dd>`);
    expect(detail).toMatch(/id="attempt-count">2</);
    expect([...detail.matchAll(/data-http-status>(\d+|—)</g)].map((m) => m[1])).toEqual(['500', '200']);
    expect(detail).toContain('500 Internal Server Error');
    expect(detail).toContain('非 2xx 应答');
    expect(detail).toMatch(/\d+ ms</);
    expect(detail).toContain('未设置 WEBHOOK_URL'); // the default env delivers nothing: no button

    const order = await page(`/admin/orders/${no}`);
    expect(order).toContain(`class="webhook-event" data-event="${event.id}"`);
    expect([...order.matchAll(/class="webhook-attempt"[^>]*>([^<]*)</g)].map((m) => m[1])).toEqual([
      expect.stringContaining('HTTP 500'),
      expect.stringContaining('HTTP 200'),
    ]);
  });

  it('redeliver: CSRF required; then the same use case as POST /v1/events/:id/redeliver records a new attempt', async () => {
    const { event } = await paidWithEvent();
    const hook = receiverEnv();
    await runQueue(hook.env, [await messageFor(event.id)]);
    const html = await page(`/admin/webhooks/${event.id}`, hook.env);
    expect(html).toContain('id="redeliver-form"');
    const csrf = csrfOf(html);

    expect((await postWith(hook.env, `/admin/webhooks/${event.id}/redeliver`, {})).status).toBe(403);
    expect((await postWith(hook.env, `/admin/webhooks/${event.id}/redeliver`, { _csrf: 'forged' })).status).toBe(403);
    expect(hook.sent).toEqual([]);

    const res = await postWith(hook.env, `/admin/webhooks/${event.id}/redeliver`, { _csrf: csrf });
    expect(res.status).toBe(303);
    expect(res.headers.get('Location')).toBe(`/admin/webhooks/${event.id}?redelivered=1`);
    expect(hook.sent).toEqual([{ id: event.id, token: expect.any(String), trigger: 'REDELIVER' }]);
    expect((await runQueue(hook.env, hook.sent)).explicitAcks).toHaveLength(1);
    expect((await attemptRows(event.id)).map((a) => [a.trigger, a.http_status])).toEqual([
      ['QUEUE', 200],
      ['REDELIVER', 200],
    ]);

    const after = await page(`/admin/webhooks/${event.id}?redelivered=1`, hook.env);
    expect(after).toContain('已重新发送');
    expect(after).toMatch(/id="attempt-count">2</);
    expect(after).toContain('手动重发');

    // Without WEBHOOK_URL the use case refuses (WEBHOOKS_DISABLED) and nothing is queued.
    const disabled = await adminPost(`/admin/webhooks/${event.id}/redeliver`, cookie, { _csrf: csrf });
    expect(disabled.status).toBe(409);
    expect(await disabled.text()).toContain('未设置 WEBHOOK_URL');
    // An unknown event: 404.
    expect((await postWith(hook.env, '/admin/webhooks/evt_000000000000000000000000/redeliver', { _csrf: csrf })).status).toBe(404);
    expect(await statusOf('/admin/webhooks/evt_000000000000000000000000')).toBe(404);
  });

  it("a receiver's answer containing <script> is shown as escaped text, cut at 1 KiB", async () => {
    const { event } = await paidWithEvent();
    const hook = receiverEnv({ WEBHOOK_URL: 'https://merchant.example/hooks' });
    const evil = `<script>alert("pwned")</script><img src=x onerror=alert(1)>${'y'.repeat(3000)}`;
    vi.spyOn(globalThis, 'fetch').mockImplementation(async () => new Response(evil, { status: 400, headers: { 'Content-Type': 'text/html' } }));
    await runQueue(hook.env, [await messageFor(event.id)]);
    expect((await attemptRows(event.id))[0]).toMatchObject({ http_status: 400 });
    vi.restoreAllMocks();

    const html = await page(`/admin/webhooks/${event.id}`, hook.env);
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
    const ys = /y+/.exec(html.slice(html.indexOf('&lt;img src=x')))![0];
    expect(ys.length).toBe(1024 - '<script>alert("pwned")</script><img src=x onerror=alert(1)>'.length);
    expect(html).not.toMatch(/<script(?![^>]*nonce)/); // no script element at all on a console page
  });
});

describe('overview and secrets', () => {
  it("the overview shows the newest day's reconciliation status and, with WEBHOOK_URL set, the last 7 days' deliveries, equal to a scan", async () => {
    const html = await page('/admin', receiverEnv().env);
    const newest = await env.DB.prepare('SELECT bill_date, status FROM reconciliation_runs ORDER BY bill_date DESC LIMIT 1').first<{
      bill_date: string;
      status: string;
    }>();
    const recon = /data-figure="last-recon">(.*?)<\/dd>/s.exec(html)![1]!;
    expect(recon).toContain(`/admin/reconciliation/${newest!.bill_date}`);
    expect(recon).toContain('有差异');

    const since = new Date(Date.now() - 7 * 86_400_000).toISOString();
    const scan = await env.DB.prepare('SELECT status, COUNT(*) AS n FROM events WHERE created_at >= ?1 GROUP BY status')
      .bind(since)
      .all<{ status: string; n: number }>();
    const want = Object.fromEntries(scan.results.map((r) => [r.status, r.n]));
    expect(want.delivered).toBeGreaterThan(0);
    const health = /data-figure="webhooks">(.*?)<\/dd>/s.exec(html)![1]!;
    expect(health).toContain(`送达 ${want.delivered ?? 0}`);
    expect(health).toContain(`待投递 ${want.pending ?? 0}`);
    expect(health).toContain(`失败 ${want.failed ?? 0}`);
    expect(html).not.toContain('未启用');
    expect(html).not.toContain('未设置 WEBHOOK_URL');
    expect(await page('/admin/webhooks', receiverEnv().env)).not.toContain('id="no-webhook-url"');
  });

  it('without WEBHOOK_URL the overview and the 通知 page say the events are recorded, not delivered, and count none as 待投递', async () => {
    await paidWithEvent();
    const pending = await env.DB.prepare("SELECT COUNT(*) AS n FROM events WHERE status = 'pending'").first<{ n: number }>();
    expect(pending!.n).toBeGreaterThan(0);

    const html = await page('/admin');
    const health = /data-figure="webhooks">(.*?)<\/dd>/s.exec(html)![1]!;
    expect(health).toBe('<a href="/admin/webhooks" data-health="no-url">未设置 WEBHOOK_URL：事件已记录，未投递</a>');
    expect(html).not.toContain('待投递');
    expect(await page('/admin/webhooks')).toContain('<p class="muted" id="no-webhook-url">未设置 WEBHOOK_URL：事件已记录，未投递。</p>');
  });

  it('the overview reads through indexes only (EXPLAIN QUERY PLAN of every statement it runs): no SCAN of a table', async () => {
    const statements: { sql: string; params: unknown[] }[] = [];
    const recording = {
      prepare(sql: string) {
        const stmt = env.DB.prepare(sql);
        return {
          bind(...params: unknown[]) {
            statements.push({ sql, params });
            return stmt.bind(...params);
          },
          first(column: string) {
            statements.push({ sql, params: [] });
            return stmt.first(column);
          },
          all() {
            statements.push({ sql, params: [] });
            return stmt.all();
          },
        };
      },
    } as unknown as D1Database;
    await loadOverview(recording, Date.now(), { webhookUrl: 'https://merchant.example/hooks' });
    expect(statements.map((s) => s.sql.split(/\s+/).slice(0, 6).join(' '))).toHaveLength(4);
    const planOf = async (sql: string, params: unknown[]) =>
      (
        await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
          .bind(...params)
          .all<{ detail: string }>()
      ).results.map((r) => r.detail);
    // `SCAN b` is the binary search's own CTE row, `SCAN CONSTANT ROW` its seed; neither reads a table.
    const tableScans = (details: string[]) =>
      details.filter((d) => d.startsWith('SCAN') && !/^SCAN (b|CONSTANT ROW)$/.test(d) && !/USING (COVERING )?INDEX/.test(d));
    const all: string[] = [];
    for (const s of statements) {
      const details = await planOf(s.sql, s.params);
      all.push(...details);
      expect(tableScans(details), `${s.sql}\n${details.join('\n')}`).toEqual([]);
    }
    expect(all).toContain('SEARCH events USING INTEGER PRIMARY KEY (rowid>?)');
    expect(all.some((d) => d.startsWith('SEARCH reconciliation_runs USING INDEX'))).toBe(true);
    // The check has teeth: the obvious query by created_at would scan the events table.
    expect(tableScans(await planOf('SELECT status, COUNT(*) FROM events WHERE created_at >= ?1 GROUP BY status', ['2026-01-01']))).not.toEqual([]);
  });

  it('no page shows a secret (webhook secret, API key, tokens), with or without WEBHOOK_URL', async () => {
    const hook = receiverEnv();
    for (const path of ['/admin', '/admin/reconciliation', '/admin/webhooks']) await page(path, hook.env);
    const secrets = [
      env.WEBHOOK_SECRET!,
      env.WEBHOOK_SECRET!.slice('whsec_'.length),
      env.WECHAT_API_KEY!,
      env.MERCHANT_API_TOKEN!,
      env.ADMIN_TOKEN!,
      env.CHECKOUT_SECRET!,
    ];
    expect(pages.length).toBeGreaterThan(10);
    for (const html of pages) for (const s of secrets) expect(html).not.toContain(s);
  });
});
