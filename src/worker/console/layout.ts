// The console's page frame: head (nonce'd styles, no scripts), navigation, and small shared fragments (status tags, pager, hidden CSRF field).
import { html, trusted, type Html } from '../platform/html';
import { CONSOLE_CSS } from './styles';

export type NavKey = 'overview' | 'orders' | 'refunds' | 'anomalies' | 'reconciliation' | 'webhooks';

/** What a page shows of the operator's session: who, and the CSRF value its forms carry. */
interface SessionView {
  operator: string;
  csrf: string;
}

export interface Frame {
  nonce: string;
  session: SessionView;
  active: NavKey;
  merchantName: string;
  sandbox: boolean;
}

const NAV: ReadonlyArray<{ key: NavKey; href: string; label: string }> = [
  { key: 'overview', href: '/admin', label: '概览' },
  { key: 'orders', href: '/admin/orders', label: '订单' },
  { key: 'refunds', href: '/admin/refunds', label: '退款' },
  { key: 'anomalies', href: '/admin/anomalies', label: '异常' },
  { key: 'reconciliation', href: '/admin/reconciliation', label: '对账' },
  { key: 'webhooks', href: '/admin/webhooks', label: '通知' },
];

function head(nonce: string, title: string): Html {
  return html`<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="same-origin">
<meta name="robots" content="noindex,nofollow">
<link rel="icon" href="data:,">
<title>${title} · 商户控制台</title>
<style nonce="${nonce}">${trusted(CONSOLE_CSS)}</style>
</head>`;
}

export function csrfField(session: SessionView): Html {
  return html`<input type="hidden" name="_csrf" value="${session.csrf}">`;
}

export function page(f: Frame, title: string, body: Html): string {
  const links = NAV.map((n) => html`<a href="${n.href}"${n.key === f.active ? trusted(' class="active" aria-current="page"') : ''}>${n.label}</a>`);
  return html`<!doctype html>
<html lang="zh-CN">
${head(f.nonce, title)}
<body>
<div class="shell">
<nav class="side" aria-label="主导航">
<div class="brand">${f.merchantName} · 控制台${f.sandbox ? '（沙箱）' : ''}</div>
${links}
<div class="who">操作员：<span id="operator">${f.session.operator}</span></div>
<form method="post" action="/admin/logout">${csrfField(f.session)}<button type="submit" class="secondary" id="logout">退出登录</button></form>
</nav>
<main>
<h1>${title}</h1>
${body}
</main>
</div>
</body>
</html>
`.toString();
}

/** A page without the frame (login, errors before a session exists). */
export function barePage(nonce: string, title: string, body: Html): string {
  return html`<!doctype html>
<html lang="zh-CN">
${head(nonce, title)}
<body>
${body}
</body>
</html>
`.toString();
}

export function tag(label: string, tone: 'ok' | 'warn' | 'bad' | 'muted'): Html {
  return html`<span class="tag ${tone}">${label}</span>`;
}

/** "下一页" keeps the filters and adds the cursor. */
export function pager(base: string, params: URLSearchParams, next: string | null, first: boolean): Html {
  const firstHref = `${base}?${new URLSearchParams([...params].filter(([k]) => k !== 'after'))}`;
  const nextParams = new URLSearchParams(params);
  if (next) nextParams.set('after', next);
  return html`<div class="pager">${first ? '' : html`<a class="button secondary" href="${firstHref}">第一页</a>`}${
    next ? html`<a class="button secondary" id="next-page" href="${base}?${nextParams}">下一页</a>` : html`<span class="muted">没有更多了</span>`
  }</div>`;
}
