// The console's stylesheet, served inline under the response's CSP nonce. Desktop first; below 760 px
// the side navigation becomes a top bar and tables scroll sideways.
export const CONSOLE_CSS = `
*{box-sizing:border-box}
body{margin:0;font:14px/1.6 -apple-system,BlinkMacSystemFont,"PingFang SC","Hiragino Sans GB","Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#1f2329;background:#f5f6f7}
a{color:#0f6fd6;text-decoration:none}a:hover{text-decoration:underline}
.shell{display:flex;min-height:100vh}
nav.side{width:200px;flex:none;background:#1f2329;color:#c9cdd4;padding:16px 0}
nav.side .brand{color:#fff;font-weight:600;font-size:16px;padding:0 20px 16px}
nav.side a{display:block;color:#c9cdd4;padding:9px 20px}
nav.side a.active{background:#07c160;color:#fff}
nav.side a:hover{text-decoration:none;background:#2b2f36}
nav.side .who{padding:16px 20px 0;font-size:12px;color:#8f959e}
nav.side form{padding:8px 20px}
main{flex:1;min-width:0;padding:24px 28px}
h1{font-size:20px;margin:0 0 16px}h2{font-size:16px;margin:24px 0 12px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:12px}
.card{background:#fff;border-radius:8px;padding:16px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
.card h3{margin:0 0 8px;font-size:13px;color:#646a73;font-weight:500}
.card .big{font-size:24px;font-weight:600}
.card dl{display:grid;grid-template-columns:auto 1fr;gap:2px 12px;margin:8px 0 0;font-size:13px}
.card dt{color:#646a73}.card dd{margin:0;text-align:right;font-variant-numeric:tabular-nums}
.panel{background:#fff;border-radius:8px;padding:16px;box-shadow:0 1px 2px rgba(0,0,0,.06);margin-bottom:16px}
.chart{width:100%;height:auto;display:block}
.legend{font-size:12px;color:#646a73}.legend i{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px;border-radius:2px}
.legend .g{background:#07c160}.legend .o{background:#fa9d3b}.legend .b{background:#10aeff}
.table-wrap{overflow-x:auto;background:#fff;border-radius:8px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:9px 12px;border-bottom:1px solid #eff0f1;text-align:left;white-space:nowrap}
th{background:#fafbfc;color:#646a73;font-weight:500}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.tag{display:inline-block;padding:0 8px;border-radius:10px;font-size:12px;line-height:20px}
.tag.ok{background:#e8f8ee;color:#078a45}.tag.warn{background:#fff5e6;color:#b26a00}.tag.bad{background:#fdecec;color:#c4352b}.tag.muted{background:#f0f1f2;color:#646a73}
form.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-end;margin-bottom:12px}
label{display:flex;flex-direction:column;font-size:12px;color:#646a73;gap:2px}
input,select,textarea{font:inherit;padding:6px 8px;border:1px solid #d0d3d6;border-radius:6px;background:#fff;color:#1f2329}
button,.button{font:inherit;padding:6px 14px;border-radius:6px;border:1px solid #07c160;background:#07c160;color:#fff;cursor:pointer;display:inline-block}
button.secondary,.button.secondary{background:#fff;color:#1f2329;border-color:#d0d3d6}
button.danger{background:#e54545;border-color:#e54545}
.pager{display:flex;gap:8px;margin-top:12px}
.kv{display:grid;grid-template-columns:140px 1fr;gap:6px 16px;margin:0}.kv dt{color:#646a73}.kv dd{margin:0;word-break:break-all}
ol.timeline{list-style:none;margin:0;padding:0 0 0 16px;border-left:2px solid #e5e6e8}
ol.timeline li{position:relative;padding:0 0 14px 12px}
ol.timeline li::before{content:"";position:absolute;left:-23px;top:6px;width:10px;height:10px;border-radius:50%;background:#c9cdd4}
ol.timeline li.ok::before{background:#07c160}ol.timeline li.bad::before{background:#e54545}ol.timeline li.warn::before{background:#fa9d3b}
ol.timeline time{color:#8f959e;font-size:12px;margin-right:8px;font-variant-numeric:tabular-nums}
.muted{color:#8f959e}.error{color:#c4352b}.notice{background:#e8f8ee;color:#078a45;padding:8px 12px;border-radius:6px;margin-bottom:12px}
.alert{background:#fdecec;color:#c4352b;padding:8px 12px;border-radius:6px;margin-bottom:12px}
pre.excerpt{margin:0;white-space:pre-wrap;word-break:break-all;max-width:480px;max-height:240px;overflow:auto;font:12px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#fafbfc;padding:4px 6px;border-radius:4px}
#event-payload{max-width:none;max-height:none}
td.side{white-space:normal;min-width:180px;font-size:12px}
.login{max-width:360px;margin:12vh auto;background:#fff;padding:28px;border-radius:10px;box-shadow:0 2px 8px rgba(0,0,0,.08)}
.login form{display:flex;flex-direction:column;gap:12px}
@media (max-width:760px){
.shell{flex-direction:column}
nav.side{width:auto;display:flex;flex-wrap:wrap;align-items:center;padding:8px}
nav.side .brand{padding:4px 8px;width:100%}
nav.side a{padding:6px 10px;border-radius:6px}
nav.side .who{padding:4px 8px}nav.side form{padding:4px 8px}
main{padding:16px 12px}
.kv{grid-template-columns:100px 1fr}
}
`;
