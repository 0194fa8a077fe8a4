// The hosted checkout: GET /pay/:out_trade_no (page), POST /pay/:out_trade_no/payments, GET /pay/:out_trade_no/status,
// /oauth/callback, and the page script.
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { renderSVG } from 'uqr';
import { checkoutUrl, verifyCheckoutToken } from '../../platform/checkout-link';
import { buyerStatus, terminalPageState } from '../buyer-state';
import { beginAuthorize, clearOauthState, OAUTH_CALLBACK_PATH, readOauthState, stateMatches } from './oauth';
import { CHECKOUT_SCRIPT } from '../script';
import { cspNonce, pageSecurityHeaders, sendOriginReferrer } from '../../platform/security-headers';
import { payMethodFor } from '../pay-method';
import { connectingIp } from '../../platform/client-ip';
import { DomainError } from '../../platform/errors';
import {
  checkoutPage,
  checkoutPayment,
  CHECKOUT_SCRIPT_PATH,
  notFoundPage,
  oauthFailedPage,
  openInWechatPage,
  orderStatePage,
  snapshotUserPage,
  unavailablePage,
  type OrderSummary,
} from '../views';
import { getConfig, type Config } from '../../platform/config';
import { spendOauthState } from '../oauth-states-repo';
import { createPayment, getOrder, type OrderRow } from '../../orders';
import { OUT_TRADE_NO } from '../../../core';
import type { HonoEnv } from '../../platform/env';
import { errorResponse, methodNotAllowed } from '../../platform/http-answers';
import { isLoopbackHost } from '../../platform/loopback';
import { loadConfig, requireConfig } from '../../platform/middleware/require-config';
import { issueOauthSession, readOauthSession } from '../../platform/buyer-session';
import { onError } from '../../platform/on-error';
import type { CodeExchange } from '../../channel';
import { syncDue, syncOrder } from '../../orders';

type C = Context<HonoEnv>;

/** A callback whose state is unknown, forged or already spent. */
const STATE_REJECTED = '授权已失效或来源不明。请返回商户，重新打开支付链接。';

function summary(row: OrderRow): OrderSummary {
  return { outTradeNo: row.out_trade_no, description: row.description, totalFee: row.total_fee };
}

/** The order, only if the link's token is right. Every failure is the same null: no existence oracle. */
async function authorisedOrder(c: C, config: Config, token: string | undefined): Promise<OrderRow | null> {
  const outTradeNo = c.req.param('out_trade_no') ?? '';
  if (!OUT_TRADE_NO.test(outTradeNo) || !(await verifyCheckoutToken(config.checkoutSecret, outTradeNo, token))) return null;
  c.set('outTradeNo', outTradeNo);
  return getOrder(c.env.DB, outTradeNo);
}

/** The page routes answer in HTML even when the config is broken (the problem is logged once). */
function pageConfig(c: C): Config | null {
  const parsed = loadConfig(c);
  return parsed.ok ? parsed.config : null;
}

export const checkout = new Hono<HonoEnv>();

checkout.get(CHECKOUT_SCRIPT_PATH, (c) =>
  c.body(CHECKOUT_SCRIPT, 200, {
    'Content-Type': 'text/javascript; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'public, max-age=300',
  }),
);

// Order pages are per-buyer and change: the app-wide no-store applies (nothing here sets its own caching).
checkout.use('/pay/*', pageSecurityHeaders);
checkout.use('/oauth/*', pageSecurityHeaders);

/**
 * Sandbox: a page opened on a loopback host whose name is not PUBLIC_BASE_URL's (wrangler dev prints
 * localhost, links say 127.0.0.1) is sent to the same path there before any cookie is set. Cookies
 * belong to a host name (not a port), so a state cookie set on one name never reaches the OAuth
 * callback on the other. Non-loopback hosts are left to the sandbox-exposure check.
 */
const toLinkHost: MiddlewareHandler<HonoEnv> = async (c, next) => {
  const parsed = getConfig(c.env);
  if (!parsed.ok || parsed.config.mode !== 'sandbox' || (c.req.method !== 'GET' && c.req.method !== 'HEAD')) return next();
  const url = new URL(c.req.url);
  if (!isLoopbackHost(url.host) || url.hostname === new URL(parsed.config.publicBaseUrl).hostname) return next();
  c.set('outcome', 'PAGE_TO_LINK_HOST');
  return c.redirect(parsed.config.publicBaseUrl + url.pathname + url.search, 302);
};
// Every HTML page route; not the JSON status endpoint or the script.
checkout.use('/pay/:out_trade_no', toLinkHost);
checkout.use(OAUTH_CALLBACK_PATH, toLinkHost);

// Unexpected failures on a page still get a page (the app's handler logs them and picks the status);
// the JSON routes (the status, a payment attempt) answer in JSON.
checkout.onError((err, c) => {
  const res = onError(err, c as C);
  const nonce = c.get('secureHeadersNonce');
  if (c.req.method !== 'GET' || c.req.path.endsWith('/status') || typeof nonce !== 'string') return res;
  return c.html(unavailablePage(nonce), res.status as ContentfulStatusCode);
});

checkout.get('/pay/:out_trade_no', async (c) => {
  const nonce = cspNonce(c);
  const config = pageConfig(c);
  if (!config) return c.html(unavailablePage(nonce), 503);
  const row = await authorisedOrder(c, config, c.req.query('t'));
  if (!row) {
    c.set('outcome', 'PAGE_NOT_FOUND');
    return c.html(notFoundPage(nonce), 404);
  }
  const now = Date.now();
  const terminal = terminalPageState(row, now);
  if (terminal) {
    c.set('outcome', `PAGE_${terminal}`);
    return c.html(orderStatePage(nonce, terminal, summary(row), config.merchantName));
  }
  const method = payMethodFor(c.req.header('User-Agent'), config);
  if (method === 'OPEN_IN_WECHAT') {
    c.set('outcome', 'PAGE_OPEN_IN_WECHAT');
    const link = await checkoutUrl(config.publicBaseUrl, config.checkoutSecret, row.out_trade_no);
    return c.html(openInWechatPage(nonce, config.merchantName, summary(row), renderSVG(link, { border: 2 })));
  }
  const page = { nonce, merchantName: config.merchantName, order: summary(row), token: c.req.query('t')!, sandbox: config.mode === 'sandbox' };
  if (method === 'NATIVE') {
    // No prepay here: the page script asks for the attempt (POST …/payments), see there.
    c.set('outcome', 'PAGE_NATIVE');
    return c.html(checkoutPage({ ...page, mode: 'NATIVE' }));
  }
  if (method === 'MWEB') {
    // WeChat's H5 page refuses an mweb_url opened without a Referer on the merchant's domain.
    sendOriginReferrer(c);
    const back = c.req.query('mweb') === '1';
    c.set('outcome', back ? 'PAGE_MWEB_RETURN' : 'PAGE_MWEB');
    return c.html(checkoutPage({ ...page, mode: back ? 'MWEB_RETURN' : 'MWEB' }));
  }
  if (!row.openid && !(await readOauthSession(c, config.checkoutSecret, now))) {
    c.set('outcome', 'OAUTH_AUTHORIZE');
    return c.redirect(await beginAuthorize(c, config, row.out_trade_no, 0, now), 302);
  }
  c.set('outcome', 'PAGE_CHECKOUT');
  return c.html(checkoutPage({ ...page, mode: 'JSAPI' }));
});

/**
 * The payment attempt of a browser outside WeChat: NATIVE for a desktop, MWEB for a phone (the same
 * rule as the page, pay-method.ts, on this request's User-Agent); inside WeChat the page uses
 * POST /v1/orders/:no/jsapi. Authorised by the checkout token in X-Checkout-Token, as /jsapi: absent →
 * 401, wrong → the 404 of an unknown order. No body: the amount, the trade type and the IP are the
 * server's.
 *
 * Why a POST from the page script, not the page's GET: a GET is fetched by link previews (WeChat's,
 * chat apps'), prefetchers and crawlers, which run no script and cannot send the header, so opening
 * or previewing a link never issues a prepay; only a browser that runs the page asks. A reload asks
 * again and gets the same attempt (payAttempt gives back an unexpired one: no second unifiedorder).
 *
 * The IP sent to unifiedorder is CF-Connecting-IP of this request, the buyer's own (WeChat compares
 * it with the browser that opens mweb_url); never X-Forwarded-For, which the client writes. Without
 * one (local development) it is 127.0.0.1, as the simulator assumes; in live an MWEB attempt without
 * it is refused (CLIENT_IP_REQUIRED) rather than sent with an address WeChat would reject.
 */
checkout.post('/pay/:out_trade_no/payments', async (c) => {
  const config = requireConfig(c);
  const outTradeNo = c.req.param('out_trade_no');
  if (!OUT_TRADE_NO.test(outTradeNo)) return errorResponse(c, 'INVALID_OUT_TRADE_NO', 'out_trade_no must be 6–32 of [A-Za-z0-9_-|*]');
  const token = c.req.header('X-Checkout-Token');
  if (!token) throw new DomainError('UNAUTHORIZED', 'send the checkout token (X-Checkout-Token)');
  if (!(await verifyCheckoutToken(config.checkoutSecret, outTradeNo, token))) throw new DomainError('ORDER_NOT_FOUND', 'no such order');
  c.set('outTradeNo', outTradeNo);
  const method = payMethodFor(c.req.header('User-Agent'), config);
  if (method !== 'NATIVE' && method !== 'MWEB') {
    throw new DomainError('TRADE_TYPE_UNAVAILABLE', 'this browser pays with JSAPI inside WeChat (POST /v1/orders/:out_trade_no/jsapi)');
  }
  const ip = connectingIp(c);
  const requester = { clientIp: ip ?? '127.0.0.1', clientIpIsBuyers: ip !== null || config.mode === 'sandbox', sessionOpenid: null };
  const { created, attempt, pay } = await createPayment(c.var.deps, outTradeNo, requester, { tradeType: method });
  c.set('outcome', created ? `CHECKOUT_${method}` : `CHECKOUT_${method}_AGAIN`);
  return c.json(checkoutPayment(pay, attempt.expires_at), created ? 201 : 200);
});

// The page polls this after the bridge says ":ok". PAID only ever comes from a verified notify or orderquery.
checkout.get('/pay/:out_trade_no/status', async (c) => {
  const config = requireConfig(c);
  if (!OUT_TRADE_NO.test(c.req.param('out_trade_no'))) return errorResponse(c, 'INVALID_OUT_TRADE_NO', 'out_trade_no must be 6–32 of [A-Za-z0-9_-|*]');
  let row = await authorisedOrder(c, config, c.req.header('X-Checkout-Token') ?? c.req.query('t'));
  if (!row) return errorResponse(c, 'ORDER_NOT_FOUND', 'no such order');
  const { deps } = c.var;
  // `sync=1`: the buyer's client says it paid and no notify has landed yet; the sync layer rate-limits it.
  if (syncDue(row, deps.now(), c.req.query('sync') === '1')) {
    c.set('outcome', await syncOrder(deps, row, true));
    row = (await getOrder(c.env.DB, row.out_trade_no)) ?? row;
  }
  return c.json({ status: buyerStatus(row.status) });
});

checkout.get(OAUTH_CALLBACK_PATH, async (c) => {
  const nonce = cspNonce(c);
  const config = pageConfig(c);
  if (!config) return c.html(unavailablePage(nonce), 503);
  const now = Date.now();
  const expected = await readOauthState(c, config.checkoutSecret, now);
  if (!expected || !stateMatches(expected, c.req.query('state'))) {
    c.set('outcome', 'OAUTH_STATE_MISMATCH');
    return c.html(oauthFailedPage(nonce, STATE_REJECTED), 400);
  }
  c.set('outTradeNo', expected.outTradeNo);
  // Spent before anything else happens with it, whatever the outcome: one state, at most one session.
  if (!(await spendOauthState(c.env.DB, expected.state, expected.expiresMs, now))) {
    c.set('outcome', 'OAUTH_STATE_REUSED');
    clearOauthState(c);
    return c.html(oauthFailedPage(nonce, STATE_REJECTED), 400);
  }
  const code = c.req.query('code');
  if (!code || code.length > 256) {
    c.set('outcome', 'OAUTH_NO_CODE');
    clearOauthState(c);
    return c.html(oauthFailedPage(nonce, '未获得微信授权。请返回商户，重新打开支付链接。'), 400);
  }
  const buyers = c.var.deps.buyers;
  const result: CodeExchange = buyers ? await buyers.oauthOpenid(code) : { ok: false, reason: 'UNAVAILABLE' };
  if (!result.ok) {
    // An expired code, or one already used elsewhere: one fresh round, marked so it cannot repeat.
    if (result.reason === 'CODE_REJECTED' && expected.round === 0) {
      c.set('outcome', 'OAUTH_RETRY');
      return c.redirect(await beginAuthorize(c, config, expected.outTradeNo, 1, now), 302);
    }
    c.set('outcome', result.errcode ? `OAUTH_${result.reason}_${result.errcode}` : `OAUTH_${result.reason}`);
    clearOauthState(c);
    return c.html(oauthFailedPage(nonce, '暂时无法获取你的微信身份。请稍后返回商户，重新打开支付链接。'), 502);
  }
  if (result.snapshotUser) {
    // A 快照页 virtual account: no session, no order for it (docs/wechatpay-v2.md §5).
    c.set('outcome', 'OAUTH_SNAPSHOT_USER');
    clearOauthState(c);
    return c.html(snapshotUserPage(nonce));
  }
  await issueOauthSession(c, config.checkoutSecret, result.openid, now);
  clearOauthState(c);
  c.set('outcome', 'OAUTH_OK');
  return c.redirect(await checkoutUrl(config.publicBaseUrl, config.checkoutSecret, expected.outTradeNo), 302);
});

// Only GET (and HEAD, which Hono answers from GET) exists here, and POST for …/payments; OPTIONS gets an empty answer.
checkout.all('/pay/:out_trade_no', methodNotAllowed);
checkout.all('/pay/:out_trade_no/status', methodNotAllowed);
checkout.all('/pay/:out_trade_no/payments', methodNotAllowed);
checkout.all(OAUTH_CALLBACK_PATH, methodNotAllowed);
checkout.all(CHECKOUT_SCRIPT_PATH, methodNotAllowed);
