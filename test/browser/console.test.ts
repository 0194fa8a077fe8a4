/**
 * The merchant console in Debian Chromium against `wrangler dev` (sandbox mode): a wrong token gets no
 * session; after three sandbox payments of ¥12.34, ¥23.45 and ¥34.56 the overview shows ¥70.35 paid
 * today and a chart; an order's page shows its number, amount, paid state and the notify that paid
 * it; a refund from the console; an authentic notify with a wrong amount listed and acknowledged;
 * the CSV export; no console errors and no CSP violations. Screenshots of the overview and an order
 * go to test-artifacts/, and to docs/ (the README shows them) with UPDATE_SCREENSHOTS=1.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignedPayNotify } from '../../src/sandbox/notify';
import { startDevServer, type DevServer } from './dev-server';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts');
// The README's pictures are refreshed only on request (UPDATE_SCREENSHOTS=1), so a test run never edits tracked files.
const DOCS = process.env.UPDATE_SCREENSHOTS === '1' ? path.resolve(import.meta.dirname, '../../docs') : ARTIFACTS;
// wrangler.toml [vars] sandbox defaults (refused in live mode)
const MERCHANT_TOKEN = 'sandbox-merchant-token-not-for-live-use';
const ADMIN_TOKEN = 'sandbox-admin-token-not-for-live-use';
const MERCHANT = { appId: 'wxd930ea5d5a258f4f', mchId: '10000100', key: '192006250b4c09247ec02edce69f6a2d', signType: 'HMAC-SHA256' as const };
const ALICE = 'oD2Vw1QRU-UuW2_c9ADqretYLAcs';
const STEP_MS = 30_000;

const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser && process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: CI must install it`);

describe.skipIf(!haveBrowser)('merchant console in Chromium', () => {
  let server: DevServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const paid: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // The console over API v3 (the checkout file runs v2): payments, the console's refund and the
    // reconciliation below all go over v3 to the simulator, the anomaly's notify over the v2 route.
    server = await startDevServer({ WECHAT_API_VERSION: 'v3' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'], timeout: 60_000 });
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN', deviceScaleFactor: 1, acceptDownloads: true });
    context.setDefaultTimeout(STEP_MS);
    page = await context.newPage();
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
  });

  async function merchant(method: string, p: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(server.origin + p, {
      method,
      headers: { Authorization: `Bearer ${MERCHANT_TOKEN}`, ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(STEP_MS),
    });
    const json = (await res.json()) as Record<string, any>;
    if (!res.ok) throw new Error(`${method} ${p} → ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  /** A sandbox payment: order → jsapi (with the link token) → the simulator pays as alice → its notify → PAID. */
  async function pay(totalFee: number): Promise<string> {
    const order = await merchant('POST', '/v1/orders', { description: `控制台测试 ${totalFee}`, total_fee: totalFee, openid: ALICE });
    const t = new URL(order.checkout_url).searchParams.get('t')!;
    const params = await fetch(`${server.origin}/v1/orders/${order.out_trade_no}/jsapi`, { method: 'POST', headers: { 'X-Checkout-Token': t } }).then(
      (r) => r.json() as Promise<{ package: string }>,
    );
    const sim = await fetch(`${server.origin}/sandbox/sim/pay`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ prepay_id: params.package.replace('prepay_id=', ''), openid: ALICE }),
    });
    expect(sim.ok).toBe(true);
    await expect.poll(async () => (await merchant('GET', `/v1/orders/${order.out_trade_no}`)).status, { timeout: STEP_MS, interval: 250 }).toBe('PAID');
    return order.out_trade_no as string;
  }

  function expectClean() {
    expect(problems, `wrangler dev output:\n${server.output().slice(-3000)}`).toEqual([]);
  }

  it('asks for the token; a wrong token gets no session', async () => {
    const res = await page.goto(`${server.origin}/admin`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    const csp = res!.headers()['content-security-policy']!; // the login page's, after the redirect
    expect(csp).toMatch(/script-src 'nonce-/);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    await page.fill('#operator', '运营小李');
    await page.fill('#token', 'not-the-admin-token-at-all');
    await page.click('#login');
    await page.waitForSelector('#login-error');
    expect(await page.textContent('#login-error')).toBe('访问令牌不正确。');
    expect((await page.context().cookies()).some((c) => c.name === 'wxpay_admin')).toBe(false);
    await page.goto(`${server.origin}/admin`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    problems.splice(0); // the 401 of the wrong login is logged by Chromium as a failed resource
  });

  it('after three sandbox payments the overview shows ¥70.35 paid today and a chart', async () => {
    for (const fee of [1234, 2345, 3456]) paid.push(await pay(fee));
    // Over API v3: the pay params were RSA-signed and the simulator's notify went to the v3 route.
    const deliveries = await fetch(`${server.origin}/sandbox/sim/deliveries?out_trade_no=${paid[0]}`).then(
      (r) => r.json() as Promise<{ deliveries: { url: string }[] }>,
    );
    expect(deliveries.deliveries.map((d) => new URL(d.url).pathname)).toEqual(['/wechat/v3/notify']);
    await page.fill('#operator', '运营小李');
    await page.fill('#token', ADMIN_TOKEN);
    await page.click('#login');
    await page.waitForURL((u) => u.pathname === '/admin');
    const session = (await page.context().cookies()).find((c) => c.name === 'wxpay_admin')!;
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/admin' });
    expect(await page.textContent('#fig-today [data-figure="paid"]')).toBe('¥70.35');
    expect(await page.textContent('#fig-today [data-figure="paid-count"]')).toBe('3');
    expect(await page.textContent('#fig-today [data-figure="rate"]')).toBe('100.0%');
    expect(await page.isVisible('#chart-paid')).toBe(true);
    expect(await page.locator('#chart-paid rect.bar-paid[height]:not([height="0.0"])').count()).toBe(1);
    expect(await page.isVisible('#chart-rate')).toBe(true);
    expectClean();
  });

  it("an order's page shows its number, amount, paid state and the notify that paid it; a refund from the console", async () => {
    const no = paid[2]!;
    await page.goto(`${server.origin}/admin/orders`);
    await page.fill('#q', no);
    await page.click('button:text("查询")');
    await page.click(`a:text("${no}")`);
    await page.waitForURL((u) => u.pathname === `/admin/orders/${no}`);
    expect(await page.textContent('#out-trade-no')).toBe(no);
    expect(await page.textContent('#order-amount')).toBe('¥34.56');
    expect(await page.textContent('#order-status')).toBe('已支付');
    expect(await page.textContent('#timeline')).toContain('收到支付通知 · 已入账');
    expect(await page.textContent('#timeline')).toContain('由支付通知确认');
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-order.png'), fullPage: true });

    await page.fill('#refund-amount', '4.56');
    await page.fill('#refund-reason', '部分商品缺货');
    await page.click('#refund-submit');
    await page.waitForSelector('#refund-confirm');
    expect(await page.textContent('#confirm-amount')).toBe('¥4.56');
    await page.click('#refund-confirm');
    await page.waitForSelector('#notice');
    expect(await page.textContent('#notice')).toMatch(/^退款 R\d{8}\w+ 已提交。$/);
    // The simulator's refund notify settles it a few seconds later.
    await expect.poll(async () => (await merchant('GET', `/v1/orders/${no}`)).refunded_fee, { timeout: STEP_MS, interval: 500 }).toBe(456);
    await page.reload();
    expect(await page.textContent('#order-status')).toBe('部分退款');
    expect(await page.textContent('#timeline')).toContain('退款成功 ¥4.56');
    await page.screenshot({ path: path.join(DOCS, 'console-order.png'), fullPage: true });
    expectClean();
  });

  it('an authentic notify with a wrong amount is listed as an anomaly and acknowledged', async () => {
    const no = paid[0]!;
    const order = await merchant('GET', `/v1/orders/${no}`);
    const { xml } = await buildSignedPayNotify({ out_trade_no: no, total_fee: 1, transaction_id: order.transaction_id, openid: ALICE }, MERCHANT);
    const reply = await fetch(`${server.origin}/wechat/notify`, { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body: xml });
    expect(await reply.text()).toContain('SUCCESS'); // authentic but inapplicable: recorded, acknowledged to WeChat

    await page.goto(`${server.origin}/admin`);
    expect(await page.textContent('#open-anomalies')).toBe('1');
    await page.click('nav a:text("异常")');
    const row = page.locator('tr[data-kind="AMOUNT_MISMATCH"]');
    expect(await row.count()).toBe(1);
    expect(await row.textContent()).toContain(no);
    expect(await row.textContent()).toContain('通知金额 ¥0.01');
    await row.locator('input[name="note"]').fill('已与微信支付核对：通知金额被篡改，订单金额无误');
    await row.locator('button').click();
    await page.waitForSelector('#notice');
    expect(await page.locator('tr[data-kind="AMOUNT_MISMATCH"] .ack').textContent()).toMatch(
      /^运营小李 于 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d 确认：已与微信支付核对/,
    );
    await page.goto(`${server.origin}/admin`);
    expect(await page.textContent('#open-anomalies')).toBe('0');
    expectClean();
  });

  it('对账: a reconciled day with its totals, and a confirmed re-run; 通知: the order.paid events and one event’s page', async () => {
    // Two days back: its bill is ready whatever the hour (T's bill exists from 09:00 on T+1).
    const day = new Date(Date.now() + 8 * 3600_000 - 2 * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
    const finished = async () => (await merchant('GET', `/v1/reconciliations/${day}`)).status as string;
    await merchant('POST', '/v1/reconciliations', { bill_date: day });
    await expect.poll(finished, { timeout: 2 * STEP_MS, interval: 500 }).toMatch(/^(BALANCED|NO_BILL|DISCREPANCIES)$/);

    await page.goto(`${server.origin}/admin`);
    expect(await page.textContent('[data-figure="last-recon"]')).toContain(`${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6)}`);
    // Without WEBHOOK_URL (the dev default) the health says so instead of counting events as 待投递.
    expect(await page.textContent('[data-figure="webhooks"]')).toBe('未设置 WEBHOOK_URL：事件已记录，未投递');
    await page.click('nav a:text("对账")');
    await page.click(`tr[data-day="${day}"] a`);
    await page.waitForURL((u) => u.pathname === `/admin/reconciliation/${day}`);
    expect(await page.isVisible('#recon-totals')).toBe(true);
    expect(await page.textContent('tr[data-total="paid_fee"] [data-side="bill"]')).toMatch(/^¥\d[\d,]*\.\d\d$/);
    await page.click('#rerun');
    await page.waitForSelector('#rerun-confirm');
    await page.click('#rerun-confirm');
    await page.waitForSelector('#notice');
    expect(await page.textContent('#notice')).toBe('已发起第 2 次对账。');
    await expect.poll(finished, { timeout: 2 * STEP_MS, interval: 500 }).toMatch(/^(BALANCED|NO_BILL|DISCREPANCIES)$/);

    // Without WEBHOOK_URL (the dev default) events are recorded, not delivered.
    await page.click('nav a:text("通知")');
    await page.selectOption('#event-type', 'order.paid');
    await page.fill('#event-order', paid[0]!);
    await page.click('button:text("查询")');
    await page.waitForURL((u) => u.searchParams.get('type') === 'order.paid');
    expect(await page.textContent('#no-webhook-url')).toBe('未设置 WEBHOOK_URL：事件已记录，未投递。');
    const row = page.locator('tr[data-id]');
    expect(await row.count()).toBe(1);
    expect(await row.textContent()).toContain('order.paid');
    await row.locator('a').first().click();
    await page.waitForSelector('#event-facts');
    expect(await page.textContent('#delivery-status')).toBe('待投递');
    expect(await page.textContent('#event-payload')).toContain(paid[0]!);
    await page.goto(`${server.origin}/admin/orders/${paid[0]}`);
    expect(await page.textContent('#timeline')).toContain('生成通知 order.paid');
    expectClean();
  });

  it('exports the orders as CSV (UTF-8 with BOM, amounts in yuan); the overview screenshot', async () => {
    await page.goto(`${server.origin}/admin/orders`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
    const file = path.join(ARTIFACTS, 'orders.csv');
    await download.saveAs(file);
    const bytes = readFileSync(file);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString('utf8');
    expect(text.split('\r\n')[0]).toContain('"商户订单号","微信支付订单号","状态"');
    for (const [no, yuan] of <Array<[string | undefined, string]>>[
      [paid[0], '12.34'],
      [paid[1], '23.45'],
      [paid[2], '34.56'],
    ]) {
      expect(text).toMatch(new RegExp(`^"${no}","\\d+","[^"]+","[A-Z_]+","[^"]+","${yuan.replace('.', '\\.')}",`, 'm'));
    }

    await page.goto(`${server.origin}/admin`);
    expect(await page.textContent('#fig-today [data-figure="paid"]')).toBe('¥70.35');
    expect(await page.textContent('#fig-today [data-figure="net"]')).toBe('¥65.79');
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-overview.png'), fullPage: true });
    if (DOCS !== ARTIFACTS) copyFileSync(path.join(ARTIFACTS, 'console-overview.png'), path.join(DOCS, 'console-overview.png'));

    await page.click('#logout');
    await page.waitForURL((u) => u.pathname === '/admin/login');
    expect((await page.context().cookies()).some((c) => c.name === 'wxpay_admin')).toBe(false);
    expectClean();
  });
});
