/**
 * The checkout page's script, served from CHECKOUT_SCRIPT_PATH (the CSP allows no inline code).
 * Plain ES5 + fetch so that old WeChat WebViews run it. It:
 * - waits for WeixinJSBridge (native in WeChat; the simulator's pay sheet in sandbox mode);
 * - gets signed params from POST /v1/orders/:no/jsapi and passes them to getBrandWCPayRequest
 *   untouched (re-shaping them is the classic 支付验证签名失败);
 * - treats the bridge's ":ok" as a hint only: "支付成功" appears when GET /pay/:no/status says PAID,
 *   polled with backoff and a bound; from the third poll it asks the server to orderquery, in case
 *   the notify is late or lost.
 */
// biome-ignore lint/complexity/noUselessStringRaw: the browser script is embedded verbatim, so a backslash added later stays a backslash
export const CHECKOUT_SCRIPT = String.raw`(function () {
  'use strict';
  var root = document.getElementById('checkout');
  if (!root) return;
  var orderNo = root.getAttribute('data-order');
  var token = root.getAttribute('data-token');
  var payButton = document.getElementById('pay');
  var statusLine = document.getElementById('status');
  var payPanel = document.getElementById('pay-panel');
  var paidPanel = document.getElementById('paid');
  var orderPath = encodeURIComponent(orderNo);

  // Bounded backoff: 12 polls over about 42 s, then the buyer may ask again.
  var POLL_DELAYS = [1000, 1000, 1500, 2000, 3000, 4000, 5000, 5000, 5000, 5000, 5000, 5000];
  var SYNC_FROM_POLL = 2;
  var BRIDGE_SLOW_MS = 8000;

  var FINAL_ERRORS = {
    ORDER_CLOSED: '订单已关闭，请返回商户重新下单',
    ORDER_EXPIRED: '订单已过期，请返回商户重新下单',
    ORDER_NOT_PAYABLE: '订单无法支付，请返回商户重新下单',
    ORDER_NOT_FOUND: '订单不存在或链接已失效',
    PREPAY_OPENID_MISMATCH: '该订单已由其他微信用户发起支付',
    UPSTREAM_REJECTED: '微信支付拒绝了该订单，请返回商户重新下单'
  };

  var mode = 'pay'; // 'pay' | 'confirm': what the button does
  var busy = false;

  function say(text, isError) {
    statusLine.textContent = text || '';
    statusLine.className = isError ? 'status error' : 'status';
  }
  function setButton(label, enabled) {
    payButton.hidden = false;
    payButton.textContent = label;
    payButton.disabled = !enabled;
  }
  function finish(text) {
    say(text, true);
    payButton.hidden = true;
  }
  function showPaid() {
    payPanel.hidden = true;
    paidPanel.hidden = false;
    payButton.hidden = true;
    document.title = '支付成功';
  }
  function bridge() {
    var b = window.WeixinJSBridge;
    return b && typeof b.invoke === 'function' ? b : null;
  }
  function errorCode(body) {
    return body && body.error && typeof body.error.code === 'string' ? body.error.code : '';
  }
  function readJson(res) {
    return res.json().then(function (body) {
      return { ok: res.ok, body: body };
    }, function () {
      return { ok: false, body: null };
    });
  }

  function confirmPayment() {
    if (busy) return;
    busy = true;
    mode = 'confirm';
    say('确认中…');
    setButton('确认中…', false);
    var poll = 0;
    function giveUp() {
      busy = false;
      say('暂未确认到支付结果。如已付款，请稍后刷新，请勿重复支付。', true);
      setButton('刷新支付结果', true);
    }
    function next() {
      if (poll >= POLL_DELAYS.length) return giveUp();
      var url = '/pay/' + orderPath + '/status' + (poll >= SYNC_FROM_POLL ? '?sync=1' : '');
      var delay = POLL_DELAYS[poll++];
      setTimeout(function () {
        fetch(url, { headers: { 'X-Checkout-Token': token }, credentials: 'same-origin', cache: 'no-store' })
          .then(readJson)
          .then(function (r) {
            var status = r.ok && r.body ? r.body.status : '';
            if (status === 'PAID') {
              busy = false;
              return showPaid();
            }
            if (status === 'CLOSED') {
              busy = false;
              return finish('订单已关闭');
            }
            if (status === 'FAILED') {
              busy = false;
              return finish('支付失败，请返回商户重新下单');
            }
            next();
          }, next);
      }, delay);
    }
    next();
  }

  function invoke(b, params) {
    // The params go to WeChat exactly as the server signed them.
    b.invoke('getBrandWCPayRequest', params, function (res) {
      busy = false;
      var msg = res && res.err_msg;
      if (msg === 'get_brand_wcpay_request:ok') return confirmPayment();
      if (msg === 'get_brand_wcpay_request:cancel') {
        say('已取消支付');
        return setButton('重新支付', true);
      }
      var reason = (res && (res.err_desc || res.errDesc)) || msg || '未知错误';
      say('支付失败：' + reason, true);
      setButton('重新支付', true);
    });
  }

  function pay() {
    if (busy) return;
    var b = bridge();
    if (!b) return say('请在微信中打开此页面完成支付', true);
    busy = true;
    say('');
    setButton('正在发起支付…', false);
    fetch('/v1/orders/' + orderPath + '/jsapi', {
      method: 'POST',
      headers: { 'X-Checkout-Token': token },
      credentials: 'same-origin',
      cache: 'no-store'
    })
      .then(readJson)
      .then(function (r) {
        if (r.ok) return invoke(b, r.body);
        busy = false;
        var code = errorCode(r.body);
        if (code === 'ORDER_PAID') return confirmPayment();
        if (code === 'OPENID_REQUIRED') {
          // The WeChat sign-in expired: reloading goes through OAuth again.
          say('登录已过期，正在重新授权…');
          return window.location.reload();
        }
        if (FINAL_ERRORS[code]) return finish(FINAL_ERRORS[code]);
        say(code === 'UPSTREAM_UNAVAILABLE' ? '微信支付繁忙，请稍后重试' : '发起支付失败，请稍后重试', true);
        setButton('重新支付', true);
      }, function () {
        busy = false;
        say('网络异常，请检查网络后重试', true);
        setButton('重新支付', true);
      });
  }

  payButton.addEventListener('click', function () {
    if (mode === 'confirm') confirmPayment();
    else pay();
  });

  var ready = false;
  function onReady() {
    if (ready || !bridge()) return;
    ready = true;
    say('');
    setButton('支付', true);
  }
  if (bridge()) onReady();
  else {
    document.addEventListener('WeixinJSBridgeReady', onReady, false);
    setTimeout(function () {
      if (!ready) say('微信支付组件加载较慢，请稍候或重新打开页面', true);
    }, BRIDGE_SLOW_MS);
  }
})();
`;
