// The buyer-facing HTML: the checkout page and the terminal/state pages. Every dynamic value is escaped.
import { renderSVG } from 'uqr';
import { formatYuan } from '../../core';
import type { PayParams } from '../channel';
import { html, trusted, type Html } from '../platform/html';
import { CHECKOUT_CSS } from './styles';

export const CHECKOUT_SCRIPT_PATH = '/assets/checkout.js';
const PAY_SHEET_SCRIPT_PATH = '/sandbox/pay-sheet.js';

export interface OrderSummary {
  outTradeNo: string;
  description: string;
  totalFee: number;
}

/** `strict-origin` only on the page that sends the buyer to WeChat's H5 page (sendOriginReferrer): the origin, never the token. */
type ReferrerPolicy = 'no-referrer' | 'strict-origin';

function layout(nonce: string, title: string, body: Html, scripts: readonly string[] = [], referrer: ReferrerPolicy = 'no-referrer'): string {
  return html`<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1,viewport-fit=cover">
<meta name="referrer" content="${referrer}">
<meta name="robots" content="noindex,nofollow">
<meta name="format-detection" content="telephone=no">
<link rel="icon" href="data:,">
<title>${title}</title>
<style nonce="${nonce}">${trusted(CHECKOUT_CSS)}</style>
</head>
<body>
${body}
${scripts.map((src) => html`<script nonce="${nonce}" src="${src}"></script>\n`)}</body>
</html>
`.toString();
}

const ICONS = {
  success:
    '<circle cx="36" cy="36" r="36" fill="#07c160"/><path d="M21 37l10 10 20-21" fill="none" stroke="#fff" stroke-width="5" stroke-linecap="round" stroke-linejoin="round"/>',
  info: '<circle cx="36" cy="36" r="36" fill="#10aeff"/><path d="M36 20v22" stroke="#fff" stroke-width="5" stroke-linecap="round"/><circle cx="36" cy="52" r="3.5" fill="#fff"/>',
  warn: '<circle cx="36" cy="36" r="36" fill="#ffc300"/><path d="M36 20v22" stroke="#fff" stroke-width="5" stroke-linecap="round"/><circle cx="36" cy="52" r="3.5" fill="#fff"/>',
  closed: '<circle cx="36" cy="36" r="36" fill="#b2b2b2"/><path d="M25 25l22 22M47 25L25 47" stroke="#fff" stroke-width="5" stroke-linecap="round"/>',
} as const;

type Icon = keyof typeof ICONS;

function icon(kind: Icon): Html {
  return trusted(`<svg class="state-icon" viewBox="0 0 72 72" aria-hidden="true">${ICONS[kind]}</svg>`);
}

function amount(totalFee: number): Html {
  return html`<div class="amount"><span class="currency">¥</span>${formatYuan(totalFee)}</div>`;
}

function merchantHeader(merchantName: string): Html {
  return html`<header class="merchant"><div class="avatar" aria-hidden="true">${Array.from(merchantName)[0] ?? '商'}</div><div class="merchant-name">${merchantName}</div></header>`;
}

interface StatePageOptions {
  icon: Icon;
  heading: string;
  text: string;
  /** With an order: the merchant, the amount and what it was for. */
  order?: { summary: OrderSummary; merchantName: string };
  extra?: Html;
}

function statePage(nonce: string, title: string, opts: StatePageOptions): string {
  const o = opts.order;
  return layout(
    nonce,
    title,
    html`<main>${o ? merchantHeader(o.merchantName) : ''}<section class="state${o ? '' : ' state-bare'}">${icon(opts.icon)}<h1>${opts.heading}</h1><p>${opts.text}</p>${
      o ? html`${amount(o.summary.totalFee)}<p class="state-desc">${o.summary.description}</p>` : ''
    }${opts.extra ?? ''}</section></main>`,
  );
}

/**
 * What the page script does (pay-method.ts): JSAPI in WeChat's bridge; NATIVE a QR code and polling;
 * MWEB off to WeChat's H5 page; MWEB_RETURN back from it (`?mweb=1`), where the buyer says what happened.
 */
export type CheckoutPageMode = 'JSAPI' | 'NATIVE' | 'MWEB' | 'MWEB_RETURN';

interface CheckoutPageInput {
  nonce: string;
  merchantName: string;
  order: OrderSummary;
  token: string;
  sandbox: boolean;
  mode: CheckoutPageMode;
}

function details(order: OrderSummary, merchantName: string): Html {
  return html`<dl class="details">
<div class="row"><dt>商品</dt><dd>${order.description}</dd></div>
<div class="row"><dt>收款方</dt><dd>${merchantName}</dd></div>
<div class="row"><dt>订单号</dt><dd class="order-no">${order.outTradeNo}</dd></div>
</dl>`;
}

/** NATIVE: the script puts the QR code (an SVG image of the code_url) into #qr once the attempt exists. */
function qrBlock(): Html {
  return html`<div id="qr" class="qr" role="img" aria-label="微信支付二维码" hidden></div>
<p class="scan-hint">请使用微信“扫一扫”扫描二维码完成支付</p>
`;
}

function actions(p: CheckoutPageInput): Html {
  switch (p.mode) {
    case 'MWEB_RETURN':
      return html`<button id="pay" class="btn" type="button">已完成支付</button>
<button id="repay" class="btn btn-secondary" type="button">重新支付</button>`;
    case 'NATIVE':
      return html`<button id="pay" class="btn" type="button" hidden>刷新二维码</button>`;
    default:
      return html`<button id="pay" class="btn" type="button" disabled>正在加载…</button>`;
  }
}

/** The pay page. The script reads the order number, token and mode from data attributes; nothing runs inline. */
export function checkoutPage(p: CheckoutPageInput): string {
  const { order } = p;
  const jsapi = p.mode === 'JSAPI';
  const scripts = p.sandbox && jsapi ? [PAY_SHEET_SCRIPT_PATH, CHECKOUT_SCRIPT_PATH] : [CHECKOUT_SCRIPT_PATH];
  const h5 = p.mode === 'MWEB' || p.mode === 'MWEB_RETURN';
  return layout(
    p.nonce,
    `${p.merchantName} · 支付`,
    html`<main id="checkout" data-order="${order.outTradeNo}" data-token="${p.token}" data-mode="${p.mode}">
${merchantHeader(p.merchantName)}
<section id="pay-panel">
<div class="card">
<div class="label">支付金额</div>
${amount(order.totalFee)}
${p.mode === 'NATIVE' ? qrBlock() : ''}${details(order, p.merchantName)}
</div>
<p id="status" class="status" role="status" aria-live="polite">${p.mode === 'MWEB_RETURN' ? '请确认微信支付是否已完成' : ''}</p>
</section>
<section id="paid" class="state" hidden>${icon('success')}<h1>支付成功</h1><p>${p.merchantName} 已收到你的付款</p>${amount(order.totalFee)}<p class="state-desc">${order.description}</p></section>
<div class="actions">
${actions(p)}
<p class="note">${p.sandbox ? '沙箱环境 · 不会产生真实扣款' : '由微信支付提供安全保障'}</p>
</div>
</main>`,
    scripts,
    h5 ? 'strict-origin' : 'no-referrer',
  );
}

/** POST /pay/:no/payments answers: NATIVE with the code_url and its QR code as SVG, MWEB with the URL to open. */
export type CheckoutPayment =
  | { trade_type: 'NATIVE'; code_url: string; qr_svg: string; expires_at: string }
  | { trade_type: 'MWEB'; mweb_url: string; expires_at: string };

export function checkoutPayment(pay: PayParams, expiresAt: string): CheckoutPayment {
  if (pay.tradeType === 'NATIVE') return { trade_type: 'NATIVE', code_url: pay.codeUrl, qr_svg: renderSVG(pay.codeUrl, { border: 2 }), expires_at: expiresAt };
  if (pay.tradeType === 'MWEB') return { trade_type: 'MWEB', mweb_url: pay.mwebUrl, expires_at: expiresAt };
  throw new Error(`the checkout offers no ${pay.tradeType} attempt`);
}

export type OrderPageState = 'PAID' | 'REFUNDED' | 'CLOSED' | 'EXPIRED' | 'UNPAYABLE';

/** A terminal order: no pay button, just the truth about it. */
export function orderStatePage(nonce: string, state: OrderPageState, summary: OrderSummary, merchantName: string): string {
  const order = { summary, merchantName };
  switch (state) {
    case 'PAID':
      return statePage(nonce, '已支付', { icon: 'success', heading: '已支付', text: '该订单已支付成功，无需重复付款。', order });
    case 'REFUNDED':
      return statePage(nonce, '已退款', { icon: 'info', heading: '已退款', text: '该订单已支付，款项已原路退回。', order });
    case 'CLOSED':
      return statePage(nonce, '订单已关闭', {
        icon: 'closed',
        heading: '订单已关闭',
        text: '该订单已关闭，无法继续支付。如需购买，请返回商户重新下单。',
        order,
      });
    case 'EXPIRED':
      return statePage(nonce, '订单已过期', { icon: 'closed', heading: '订单已过期', text: '该订单已超过支付时限，无法继续支付。请返回商户重新下单。', order });
    case 'UNPAYABLE':
      return statePage(nonce, '无法支付', { icon: 'warn', heading: '订单无法支付', text: '该订单当前无法支付。请返回商户重新下单。', order });
  }
}

/** The same page for a missing order, a wrong token and a malformed link: it reveals nothing. */
export function notFoundPage(nonce: string): string {
  return statePage(nonce, '页面不存在', { icon: 'info', heading: '页面不存在', text: '支付链接无效或已失效，请返回商户重新获取。' });
}

/** Live mode outside WeChat: JSAPI only works in the WeChat client. */
export function openInWechatPage(nonce: string, merchantName: string, summary: OrderSummary, qrSvg: string): string {
  return statePage(nonce, '请在微信中打开', {
    icon: 'info',
    heading: '请在微信中打开',
    text: '请用微信扫描下方二维码，在微信中完成支付。',
    order: { summary, merchantName },
    extra: html`<div class="qr" role="img" aria-label="支付链接二维码">${trusted(qrSvg)}</div>`,
  });
}

/** is_snapshotuser=1 (docs/wechatpay-v2.md §5): a 快照页 virtual account cannot pay. */
export function snapshotUserPage(nonce: string): string {
  return statePage(nonce, '请打开完整页面', {
    icon: 'info',
    heading: '请打开完整页面',
    text: '当前为朋友圈快照页，无法完成支付。请点击页面底部的“使用完整服务”后重新支付。',
  });
}

export function oauthFailedPage(nonce: string, text: string): string {
  return statePage(nonce, '授权失败', { icon: 'warn', heading: '微信授权失败', text });
}

export function unavailablePage(nonce: string): string {
  return statePage(nonce, '服务暂不可用', { icon: 'warn', heading: '服务暂不可用', text: '支付服务暂时不可用，请稍后再试。' });
}
