/** Minimal HTML for the simulator's pages: escaped text, no scripts, no external assets. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

export function page(title: string, body: string, status = 200): Response {
  const html = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>body{font:16px/1.5 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;background:#ededed;color:#111}main{max-width:420px;margin:0 auto;padding:24px 16px}h1{font-size:18px;text-align:center}ul{list-style:none;padding:0}li a{display:block;background:#fff;margin:8px 0;padding:14px 16px;border-radius:8px;color:#111;text-decoration:none}small{color:#888;word-break:break-all}form{background:#fff;padding:14px 16px;border-radius:8px}input[type=text]{width:100%;box-sizing:border-box;padding:8px;margin:8px 0}button{width:100%;padding:10px;background:#07c160;color:#fff;border:0;border-radius:6px;font-size:16px}.err{background:#fff;padding:16px;border-radius:8px;color:#c00}</style></head><body><main>${body}</main></body></html>`;
  return new Response(html, {
    status,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
      'Cache-Control': 'no-store',
    },
  });
}
