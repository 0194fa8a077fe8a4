/**
 * The browser side of the simulated in-WeChat pay sheet, served as /sandbox/pay-sheet.js. It defines
 * WeixinJSBridge and fires WeixinJSBridgeReady; every check of getBrandWCPayRequest's parameters
 * happens on the server (POST /sandbox/sim/check-pay-params). CSP-friendly: no eval, no inline
 * handlers, styles set through CSSOM, no external assets; it only builds DOM and attaches listeners.
 */
export const PAY_SHEET_JS = String.raw`(function () {
  'use strict';
  if (window.WeixinJSBridge) return;
  var script = document.currentScript;
  var base = script && script.src ? script.src.replace(/\/pay-sheet\.js(?:[?#].*)?$/, '') : '/sandbox';
  var open = false;

  function post(path, body) {
    return fetch(base + path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store'
    }).then(function (r) { return r.json(); });
  }

  function el(tag, style, text) {
    var e = document.createElement(tag);
    if (style) Object.assign(e.style, style);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function button(id, label, primary) {
    var b = el('button', {
      display: 'block', width: '100%', margin: '10px 0 0', padding: '12px', fontSize: '17px', border: '0',
      borderRadius: '8px', cursor: 'pointer', background: primary ? '#07c160' : '#f2f2f2', color: primary ? '#fff' : '#333'
    }, label);
    b.id = id;
    b.type = 'button';
    return b;
  }

  function showSheet(info, cb) {
    var overlay = el('div', {
      position: 'fixed', left: '0', top: '0', right: '0', bottom: '0', background: 'rgba(0,0,0,0.5)', zIndex: '2147483647',
      display: 'flex', alignItems: 'flex-end', justifyContent: 'center', fontFamily: '-apple-system,"PingFang SC","Microsoft YaHei",sans-serif'
    });
    overlay.id = 'wxsb-sheet';
    overlay.setAttribute('role', 'dialog');
    overlay.setAttribute('aria-label', '微信支付');
    var panel = el('div', { background: '#fff', width: '100%', maxWidth: '480px', borderRadius: '12px 12px 0 0', padding: '20px 20px 24px', boxSizing: 'border-box', color: '#111', textAlign: 'center' });
    panel.appendChild(el('div', { fontSize: '13px', color: '#888' }, '微信支付（沙箱）'));
    var merchant = el('div', { fontSize: '16px', margin: '14px 0 4px' }, info.merchant_name);
    merchant.id = 'wxsb-merchant';
    var body = el('div', { fontSize: '14px', color: '#555' }, info.body);
    body.id = 'wxsb-body';
    var amount = el('div', { fontSize: '34px', fontWeight: '600', margin: '14px 0' }, '¥' + info.amount);
    amount.id = 'wxsb-amount';
    var payer = el('div', { fontSize: '12px', color: '#999' }, '付款用户：' + info.payer);
    var status = el('div', { fontSize: '13px', color: '#c00', minHeight: '18px', marginTop: '6px' });
    status.id = 'wxsb-status';
    var pay = button('wxsb-pay', '支付', true);
    var cancel = button('wxsb-cancel', '取消', false);
    [merchant, body, amount, payer, status, pay, cancel].forEach(function (n) { panel.appendChild(n); });
    overlay.appendChild(panel);
    document.body.appendChild(overlay);

    function finish(result) {
      overlay.remove();
      open = false;
      cb(result);
    }
    cancel.addEventListener('click', function () {
      finish({ err_msg: 'get_brand_wcpay_request:cancel' });
    });
    pay.addEventListener('click', function () {
      pay.disabled = true;
      cancel.disabled = true;
      pay.textContent = '支付中…';
      post('/sim/pay', { prepay_id: info.prepay_id, openid: info.openid }).then(function (res) {
        if (res.ok) finish({ err_msg: 'get_brand_wcpay_request:ok' });
        else finish({ err_msg: res.err_msg || 'get_brand_wcpay_request:fail', err_desc: res.err_desc });
      }, function () {
        finish({ err_msg: 'get_brand_wcpay_request:fail', err_desc: '网络错误' });
      });
    });
  }

  window.WeixinJSBridge = {
    invoke: function (name, params, cb) {
      if (typeof cb !== 'function') cb = function () {};
      if (name !== 'getBrandWCPayRequest') {
        cb({ err_msg: name + ':fail', err_desc: '沙箱只模拟 getBrandWCPayRequest' });
        return;
      }
      if (open) return;
      open = true;
      post('/sim/check-pay-params', params || {}).then(function (res) {
        if (!res.ok) {
          open = false;
          cb({ err_msg: 'get_brand_wcpay_request:fail', err_desc: res.err_desc });
          return;
        }
        showSheet(res, cb);
      }, function () {
        open = false;
        cb({ err_msg: 'get_brand_wcpay_request:fail', err_desc: '网络错误' });
      });
    },
    on: function () {},
    call: function () {}
  };

  function ready() { document.dispatchEvent(new Event('WeixinJSBridgeReady')); }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', ready);
  else setTimeout(ready, 0);
})();
`;
