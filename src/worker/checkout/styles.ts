// The checkout pages' stylesheet, inlined under the CSP nonce: mobile-first, WeChat-like, no web fonts.
export const CHECKOUT_CSS = `
*{box-sizing:border-box;margin:0;padding:0}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{min-height:100vh;background:#ededed;color:#191919;font:16px/1.5 -apple-system,BlinkMacSystemFont,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Noto Sans SC",sans-serif;display:flex;flex-direction:column}
main{flex:1;width:100%;max-width:480px;margin:0 auto;padding:24px 16px calc(24px + env(safe-area-inset-bottom));display:flex;flex-direction:column}
[hidden]{display:none!important}
.merchant{display:flex;align-items:center;justify-content:center;gap:10px;padding:12px 0 20px}
.avatar{width:36px;height:36px;border-radius:8px;background:#07c160;color:#fff;font-size:18px;font-weight:600;display:flex;align-items:center;justify-content:center}
.merchant-name{font-size:17px;font-weight:500}
.card{background:#fff;border-radius:12px;padding:28px 20px 8px;text-align:center}
.label{font-size:14px;color:#7f7f7f}
.amount{font-size:44px;font-weight:600;letter-spacing:.5px;line-height:1.3;margin:6px 0 20px;font-variant-numeric:tabular-nums}
.currency{font-size:28px;margin-right:4px;vertical-align:4px}
.details{border-top:1px solid #f0f0f0;text-align:left}
.row{display:flex;justify-content:space-between;gap:16px;padding:14px 0;font-size:15px}
.row+.row{border-top:1px solid #f5f5f5}
.row dt{color:#7f7f7f;flex:none}
.row dd{text-align:right;word-break:break-all}
.row .order-no{font-size:13px;color:#4c4c4c;font-family:ui-monospace,Menlo,Consolas,"Noto Sans Mono",monospace;align-self:center}
.status{min-height:24px;margin:16px 4px 0;text-align:center;font-size:15px;color:#7f7f7f}
.status.error{color:#fa5151}
.actions{margin-top:auto;padding-top:24px}
.btn{display:block;width:100%;border:0;border-radius:8px;padding:14px 16px;font:inherit;font-size:17px;font-weight:600;background:#07c160;color:#fff;cursor:pointer;text-align:center;text-decoration:none}
.btn:active{background:#06ad56}
.btn:disabled{background:#9ed9b8;cursor:default}
.btn-secondary{background:#f2f2f2;color:#07c160;margin-top:12px}
.note{margin-top:14px;text-align:center;font-size:12px;color:#a0a0a0}
.state{flex:1;display:flex;flex-direction:column;align-items:center;text-align:center;padding-top:40px}
.state-bare{padding-top:96px}
.state-icon{width:72px;height:72px;margin-bottom:20px}
.state h1{font-size:22px;font-weight:600;margin-bottom:10px}
.state p{font-size:15px;color:#7f7f7f;max-width:320px}
.state .amount{margin:18px 0 0;font-size:36px}
.state .state-desc{margin-top:2px;font-size:14px;color:#a0a0a0}
.qr{margin:24px auto 8px;width:220px;height:220px;padding:10px;background:#fff;border-radius:12px}
.qr svg,.qr img{display:block;width:100%;height:100%}
.card .qr{margin:0 auto;padding:0;width:200px;height:200px}
.scan-hint{margin:12px 0 20px;font-size:14px;color:#4c4c4c}
`;
