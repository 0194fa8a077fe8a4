/**
 * The hosted checkout in a real browser (Debian Chromium via playwright-core) against `wrangler dev`
 * in sandbox mode, "支付成功" only once the server says PAID, wherever the buyer is:
 * - in WeChat: OAuth pick-user page → checkout page → simulator pay sheet;
 * - in a desktop browser: the NATIVE QR code, scanned on the simulator's 扫一扫 page, the page polling;
 * - in a phone browser: off to the simulator's MWEB page (Referer and IP checked as WeChat does), back
 *   to the return page, 已完成支付 → the server asks WeChat.
 * Screenshots go to test-artifacts/ (gitignored).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP_CHROME, IPHONE_SAFARI, WECHAT_IOS } from '../support/user-agents';
import { startDevServer, type DevServer } from './dev-server';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts');
const MERCHANT_TOKEN = 'sandbox-merchant-token-not-for-live-use'; // wrangler.toml [vars] sandbox default
const STEP_MS = 30_000; // generous: CI runs this beside the workerd project on few cores
const CONFIRM_MS = 60_000; // the page itself polls for about 42 s

const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser && process.env.CI === 'true') {
  throw new Error(`${CHROMIUM} is missing: CI must install it (apt-get install chromium fonts-noto-cjk; see .ci/run)`);
}
if (!haveBrowser) console.warn(`browser test skipped: ${CHROMIUM} not installed (under CI=true this fails)`);

describe.skipIf(!haveBrowser)('hosted checkout in Chromium', () => {
  let server: DevServer;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startDevServer();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
      timeout: 60_000,
    });
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
  });

  async function merchant(method: string, p: string, body?: unknown) {
    const res = await fetch(server.origin + p, {
      method,
      headers: { Authorization: `Bearer ${MERCHANT_TOKEN}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(STEP_MS),
    });
    const json = (await res.json()) as Record<string, any>;
    if (!res.ok) throw new Error(`${method} ${p} → ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  async function sim(method: string, p: string, body?: unknown) {
    const res = await fetch(`${server.origin}/sandbox/sim${p}`, {
      method,
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(STEP_MS),
    });
    expect(res.ok, `${p} → ${res.status}`).toBe(true);
    return (await res.json()) as Record<string, any>;
  }

  async function newOrder(description: string, totalFee: number) {
    const order = await merchant('POST', '/v1/orders', { description, total_fee: totalFee });
    expect(order.checkout_url).toMatch(new RegExp(`^${server.origin}/pay/`));
    return order as { out_trade_no: string; checkout_url: string };
  }

  /** A browser as a buyer holds it: a phone (WeChat or its own browser), or a desktop. */
  async function browserPage(device: 'wechat' | 'phone' | 'desktop' = 'wechat'): Promise<{ context: BrowserContext; page: Page }> {
    const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
    const context = await browser.newContext({
      locale: 'zh-CN',
      ...(device === 'desktop' ? { userAgent: DESKTOP_CHROME, viewport: { width: 1280, height: 800 } } : phone),
      ...(device === 'wechat' ? { userAgent: WECHAT_IOS } : device === 'phone' ? { userAgent: IPHONE_SAFARI } : {}),
    });
    context.setDefaultTimeout(STEP_MS);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      // A CSP violation shows up as a console error: the page must not cause any.
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    (page as Page & { problems: string[] }).problems = problems;
    return { context, page };
  }

  const problemsOf = (page: Page) => (page as Page & { problems: string[] }).problems;

  /** The page caused no script error, CSP violation or failed request; else show what the server logged. */
  function expectCleanConsole(page: Page, expected: RegExp[] = []) {
    const unexpected = problemsOf(page).filter((p) => !expected.some((re) => re.test(p)));
    expect(unexpected, `wrangler dev output:\n${server.output().slice(-4000)}`).toEqual([]);
  }

  /** Opens the checkout link, signs in as `user` on the simulator's OAuth page, lands back on the page. */
  async function openAndSignIn(page: Page, checkoutUrl: string, user: string) {
    await page.goto(checkoutUrl);
    await expect.poll(() => new URL(page.url()).pathname, { timeout: STEP_MS }).toBe('/sandbox/connect/oauth2/authorize');
    await page.click(`#user-${user}`);
    await page
      .waitForURL((u) => u.pathname.startsWith('/pay/'))
      .catch(async (e: unknown) => {
        // Where the browser stopped instead, and what the server said: a timeout alone explains nothing.
        const text = (await page.textContent('body').catch(() => null))?.slice(0, 500);
        throw new Error(
          `not back on the checkout page: at ${page.url()} showing ${JSON.stringify(text)}\n${String(e)}\nwrangler dev output:\n${server.output().slice(-4000)}`,
        );
      });
    expect(page.url()).toBe(checkoutUrl);
    await page.waitForSelector('#pay:not([disabled])');
    expect(await page.textContent('#pay')).toBe('支付');
  }

  async function payInSheet(page: Page, button: '#wxsb-pay' | '#wxsb-cancel') {
    await page.click('#pay');
    await page.waitForSelector('#wxsb-sheet');
    await page.click(button);
    await page.waitForSelector('#wxsb-sheet', { state: 'detached' });
  }

  /** Resolves when "支付成功" shows; returns the server's status read at that moment. */
  async function serverStatusWhenSuccessShows(page: Page, outTradeNo: string): Promise<string> {
    await page.waitForSelector('#paid:not([hidden])', { timeout: CONFIRM_MS });
    const status = (await merchant('GET', `/v1/orders/${outTradeNo}`)).status as string;
    expect(await page.isVisible('text=支付成功')).toBe(true);
    return status;
  }

  /** The README picture: screenshots side by side, rendered by the same browser. */
  async function flowStrip(names: string[], out: string) {
    const page = await browser.newPage({ viewport: { width: 24 + names.length * 262, height: 600 }, deviceScaleFactor: 1 });
    try {
      const imgs = names.map((n) => `<img src="data:image/png;base64,${readFileSync(path.join(ARTIFACTS, n)).toString('base64')}">`).join('');
      await page.setContent(
        `<body style="margin:0;padding:12px;background:#d9d9d9;display:flex;gap:12px">${imgs}</body>` +
          '<style>img{width:250px;border-radius:10px;box-shadow:0 1px 4px rgba(0,0,0,.2)}</style>',
      );
      await page.screenshot({ path: path.join(ARTIFACTS, out), fullPage: true });
    } finally {
      await page.close();
    }
  }

  it('signs in through OAuth, pays in the pay sheet, and shows 支付成功 once the notify is processed', async () => {
    const order = await newOrder('拿铁咖啡（大杯）', 1999);
    const { context, page } = await browserPage();
    try {
      await openAndSignIn(page, order.checkout_url, 'alice');

      // The Secure, HttpOnly, SameSite=Lax session cookie works on http://127.0.0.1 (a secure context).
      const session = (await context.cookies()).find((c) => c.name === 'wxpay_oid')!;
      expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });

      expect(await page.textContent('.merchant-name')).toBe('沙箱商户');
      expect(await page.textContent('#pay-panel .amount')).toBe('¥19.99');
      expect(await page.textContent('.details')).toContain('拿铁咖啡（大杯）');
      await page.screenshot({ path: path.join(ARTIFACTS, 'checkout.png') });

      await page.click('#pay');
      await page.waitForSelector('#wxsb-sheet');
      expect(await page.textContent('#wxsb-amount')).toBe('¥19.99');
      await page.screenshot({ path: path.join(ARTIFACTS, 'pay-sheet.png') });
      await page.click('#wxsb-pay');

      expect(await serverStatusWhenSuccessShows(page, order.out_trade_no)).toBe('PAID');
      // The notify was delivered and acknowledged (our SUCCESS reply comes only after the D1 commit).
      const deliveries = (await sim('GET', `/deliveries?out_trade_no=${order.out_trade_no}`)).deliveries as Array<{ state: string }>;
      expect(deliveries.map((d) => d.state)).toEqual(['acknowledged']);
      await page.screenshot({ path: path.join(ARTIFACTS, 'paid.png') });

      // Reopening the link: the server renders the paid state, with no pay button.
      await page.goto(order.checkout_url);
      await page.waitForSelector('h1:text("已支付")');
      expect(await page.$('#pay')).toBeNull();
      await page.screenshot({ path: path.join(ARTIFACTS, 'already-paid.png') });
      expectCleanConsole(page);
    } finally {
      await context.close();
    }
    await flowStrip(['checkout.png', 'pay-sheet.png', 'paid.png'], 'flow.png');
  });

  it('the buyer cancels (twice), then the payment fails, the order stays unpaid; the retry pays', async () => {
    const order = await newOrder('月饼礼盒', 12800);
    const { context, page } = await browserPage();
    try {
      await openAndSignIn(page, order.checkout_url, 'bob');
      await sim('POST', '/scenario', { out_trade_no: order.out_trade_no, user_action: 'cancel' });
      await payInSheet(page, '#wxsb-pay'); // the simulated buyer backs out at the last step
      await page.waitForSelector('#pay:not([disabled]):text("重新支付")');
      expect(await page.textContent('#status')).toBe('已取消支付');
      expect(await page.isHidden('#paid')).toBe(true);
      expect((await merchant('GET', `/v1/orders/${order.out_trade_no}`)).status).toBe('NOTPAY');
      await page.screenshot({ path: path.join(ARTIFACTS, 'cancelled.png') });

      await sim('DELETE', `/scenario?out_trade_no=${order.out_trade_no}`);
      await payInSheet(page, '#wxsb-cancel'); // and once more with the sheet's own Cancel button
      await page.waitForSelector('#pay:not([disabled]):text("重新支付")');
      expect(await page.textContent('#status')).toBe('已取消支付');

      // A failed payment shows WeChat's reason and still allows a retry.
      await sim('POST', '/scenario', { out_trade_no: order.out_trade_no, user_action: 'fail' });
      await payInSheet(page, '#wxsb-pay');
      await page.waitForSelector('#status.error');
      expect(await page.textContent('#status')).toMatch(/^支付失败：.+/);
      expect(await page.textContent('#pay')).toBe('重新支付');
      expect((await merchant('GET', `/v1/orders/${order.out_trade_no}`)).status).toBe('NOTPAY');
      await sim('DELETE', `/scenario?out_trade_no=${order.out_trade_no}`);

      await payInSheet(page, '#wxsb-pay');
      expect(await serverStatusWhenSuccessShows(page, order.out_trade_no)).toBe('PAID');
      expectCleanConsole(page);
    } finally {
      await context.close();
    }
  });

  it('the notify never arrives: 确认中… until the status endpoint resolves it through orderquery', async () => {
    const order = await newOrder('会员月卡', 3000);
    await sim('POST', '/scenario', { out_trade_no: order.out_trade_no, notify: 'never' });
    const { context, page } = await browserPage();
    try {
      await openAndSignIn(page, order.checkout_url, 'carol');
      await payInSheet(page, '#wxsb-pay');
      await page.waitForSelector('#status:text("确认中…")');
      expect(await serverStatusWhenSuccessShows(page, order.out_trade_no)).toBe('PAID');
      // No notify was ever sent: PAID came from the verified orderquery.
      expect((await sim('GET', `/deliveries?out_trade_no=${order.out_trade_no}`)).deliveries).toEqual([]);
      expectCleanConsole(page);
    } finally {
      await context.close();
    }
  });

  it('a 快照页 virtual user is told to open the full page; a tampered link gets the 404 page', async () => {
    const order = await newOrder('会员月卡', 3000);
    const { context, page } = await browserPage();
    try {
      await page.goto(order.checkout_url);
      await page.click('#user-snapshot');
      await page.waitForSelector('h1:text("请打开完整页面")');
      expect(new URL(page.url()).pathname).toBe('/oauth/callback');
      expect((await context.cookies()).some((c) => c.name === 'wxpay_oid')).toBe(false);
      await page.screenshot({ path: path.join(ARTIFACTS, 'snapshot-user.png') });

      const tampered = order.checkout_url.replace(/t=./, (m) => (m.endsWith('A') ? 't=B' : 't=A'));
      const res = await page.goto(tampered);
      expect(res!.status()).toBe(404);
      await page.waitForSelector('h1:text("页面不存在")');
      expect(await page.content()).not.toContain('会员月卡');
      await page.screenshot({ path: path.join(ARTIFACTS, 'not-found.png') });
      expectCleanConsole(page, [/status of 404/]);
    } finally {
      await context.close();
    }
  });
  it('a desktop browser: the NATIVE QR code, scanned and paid on the simulator’s 扫一扫 page, then 支付成功 by polling', async () => {
    const order = await newOrder('机械键盘', 45900);
    const { context, page } = await browserPage('desktop');
    const phone = await browser.newContext({ userAgent: WECHAT_IOS, viewport: { width: 390, height: 844 }, isMobile: true, locale: 'zh-CN' });
    try {
      await page.goto(order.checkout_url);
      // No OAuth outside WeChat: the page itself, then the QR code once the script has the attempt.
      expect(new URL(page.url()).pathname).toBe(`/pay/${order.out_trade_no}`);
      await page.waitForSelector('#qr:not([hidden]) img');
      const codeUrl = (await page.getAttribute('#qr', 'data-code-url'))!;
      expect(codeUrl).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
      // The merchant API shows the same attempt: one NATIVE attempt, that code_url.
      const attempts = (await merchant('GET', `/v1/orders/${order.out_trade_no}/payments`)).data as Array<Record<string, any>>;
      expect(attempts.map((a) => [a.trade_type, a.pay?.code_url])).toEqual([['NATIVE', codeUrl]]);
      // The image is the QR code the browser actually rendered (an SVG data: image, 200 CSS px).
      await page.waitForFunction("(() => { const i = document.querySelector('#qr img'); return !!i && i.complete && i.naturalWidth > 0; })()");
      expect(await page.textContent('#pay-panel .amount')).toBe('¥459.00');
      expect(await page.isHidden('#paid')).toBe(true);
      await page.screenshot({ path: path.join(ARTIFACTS, 'native.png') });

      // The buyer scans it with WeChat: the simulator's 扫一扫 page, in another device.
      const scan = await phone.newPage();
      await scan.goto(`${server.origin}/sandbox/scan?code_url=${encodeURIComponent(codeUrl)}`);
      expect(await scan.textContent('#pay-amount')).toBe('¥459.00');
      await scan.click('#user-bob');
      await scan.waitForSelector('#pay-result[data-result="SUCCESS"]');

      // The desktop page notices by itself.
      expect(await serverStatusWhenSuccessShows(page, order.out_trade_no)).toBe('PAID');
      expect(await page.title()).toBe('支付成功');
      await page.screenshot({ path: path.join(ARTIFACTS, 'native-paid.png') });
      const paid = await merchant('GET', `/v1/orders/${order.out_trade_no}`);
      expect(paid).toMatchObject({ status: 'PAID', trade_type: 'NATIVE' });
      expectCleanConsole(page);
    } finally {
      await phone.close();
      await context.close();
    }
  });

  it('a phone browser: off to the simulator’s MWEB page with our origin as Referer; back, 已完成支付 says so only once WeChat confirms; 重新支付 goes again', async () => {
    const order = await newOrder('电影票两张', 9800);
    // The notify never comes: only the return page's check (orderquery) can find the payment.
    await sim('POST', '/scenario', { out_trade_no: order.out_trade_no, notify: 'never' });
    const { context, page } = await browserPage('phone');
    const mwebReferers: string[] = [];
    page.on('request', (r) => {
      if (r.isNavigationRequest() && new URL(r.url()).pathname === '/sandbox/mweb') mwebReferers.push(r.headers().referer ?? '');
    });
    const returnUrl = `${order.checkout_url}&mweb=1`;
    try {
      await page.goto(order.checkout_url);
      // The script asks for the attempt and leaves for WeChat's H5 page, which checks Referer, IP and browser.
      await page.waitForURL((u) => u.pathname === '/sandbox/mweb');
      await page.waitForSelector('#user-alice');
      expect(await page.textContent('#pay-amount')).toBe('¥98.00');
      await page.screenshot({ path: path.join(ARTIFACTS, 'mweb.png') });

      // The buyer backs out without paying: Back lands on the return page, not on a second redirect.
      await page.goBack();
      await page.waitForSelector('#checkout[data-mode="MWEB_RETURN"]');
      expect(page.url()).toBe(returnUrl);
      // 已完成支付 checks the order; nothing was paid, so it says so and keeps both choices.
      await page.click('#pay');
      await page.waitForSelector('#status.error');
      expect(await page.textContent('#status')).toMatch(/^暂未查询到支付结果/);
      expect(await page.isHidden('#paid')).toBe(true);
      expect(await page.isEnabled('#repay')).toBe(true);
      expect((await merchant('GET', `/v1/orders/${order.out_trade_no}`)).status).toBe('NOTPAY');

      // 重新支付: the same (unexpired) mweb_url again; this time alice pays and WeChat sends her back.
      await page.click('#repay');
      await page.waitForURL((u) => u.pathname === '/sandbox/mweb');
      await page.click('#user-alice');
      await page.waitForURL((u) => u.href === returnUrl);
      await page.waitForSelector('#checkout[data-mode="MWEB_RETURN"]');
      expect(await page.isHidden('#paid')).toBe(true); // back from WeChat proves nothing
      expect(await page.textContent('#pay')).toBe('已完成支付');
      await page.screenshot({ path: path.join(ARTIFACTS, 'mweb-return.png') });

      await page.click('#pay');
      expect(await serverStatusWhenSuccessShows(page, order.out_trade_no)).toBe('PAID');
      await page.screenshot({ path: path.join(ARTIFACTS, 'mweb-paid.png') });
      expect(await merchant('GET', `/v1/orders/${order.out_trade_no}`)).toMatchObject({ status: 'PAID', trade_type: 'MWEB', payment_no: order.out_trade_no });
      // One attempt, opened twice, each time with our origin (strict-origin: never the path or token) as the Referer.
      expect(((await merchant('GET', `/v1/orders/${order.out_trade_no}/payments`)).data as unknown[]).length).toBe(1);
      expect(mwebReferers).toEqual([`${server.origin}/`, `${server.origin}/`]);
      // No notify was ever sent: PAID came from the verified orderquery the 已完成支付 check asked for.
      expect((await sim('GET', `/deliveries?out_trade_no=${order.out_trade_no}`)).deliveries).toEqual([]);
      expectCleanConsole(page);
    } finally {
      await context.close();
    }
    await flowStrip(['mweb.png', 'mweb-return.png', 'mweb-paid.png'], 'flow-mweb.png');
  });
});
