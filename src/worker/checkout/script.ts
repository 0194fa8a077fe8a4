/**
 * The checkout page's script, served from CHECKOUT_SCRIPT_PATH (the CSP allows no inline code).
 * Plain ES5 + fetch so that old WeChat WebViews run it. The page's `data-mode` (pay-method.ts) says how
 * the buyer pays; in every mode "支付成功" appears only when GET /pay/:no/status says PAID.
 * - JSAPI (inside WeChat): waits for WeixinJSBridge (native in WeChat; the simulator's pay sheet in
 *   sandbox mode); gets signed params from POST /v1/orders/:no/jsapi and passes them to
 *   getBrandWCPayRequest untouched (re-shaping them is the classic 支付验证签名失败); treats the
 *   bridge's ":ok" as a hint only: polls the status with backoff and a bound; from the third poll it
 *   asks the server to orderquery, in case the notify is late or lost.
 * - NATIVE (a desktop browser): POST /pay/:no/payments for the attempt, shows its code_url as a QR
 *   code (the server's SVG, as an image), and polls the status while the buyer scans it elsewhere.
 * - MWEB (a phone browser): POST /pay/:no/payments, then off to WeChat's H5 page (mweb_url); this
 *   history entry first becomes the return page, so Back never sends the buyer to WeChat again.
 * - MWEB_RETURN (back from WeChat, `?mweb=1`): nothing is assumed. 已完成支付 asks the status (with
 *   an orderquery); 重新支付 starts again (the same mweb_url while it lives, else a new attempt).
 */
// biome-ignore lint/complexity/noUselessStringRaw: the browser script is embedded verbatim, so a backslash added later stays a backslash
export const CHECKOUT_SCRIPT = String.raw`(function () {
  'use strict';
  var root = document.getElementById('checkout');
  if (!root) return;
  var orderNo = root.getAttribute('data-order');
  var token = root.getAttribute('data-token');
  var pageMode = root.getAttribute('data-mode') || 'JSAPI';
  var payButton = document.getElementById('pay');
  var repayButton = document.getElementById('repay');
  var statusLine = document.getElementById('status');
  var payPanel = document.getElementById('pay-panel');
  var paidPanel = document.getElementById('paid');
  var qrBox = document.getElementById('qr');
  var orderPath = encodeURIComponent(orderNo);

  // Bounded backoff: 12 polls over about 42 s, then the buyer may ask again.
  var POLL_DELAYS = [1000, 1000, 1500, 2000, 3000, 4000, 5000, 5000, 5000, 5000, 5000, 5000];
  var SYNC_FROM_POLL = 2;
  var BRIDGE_SLOW_MS = 8000;
  // NATIVE: the buyer scans on another device, which takes a while: every 2 s for 2 minutes, then
  // every 5 s, 15 minutes in all (the server asks WeChat itself when no notify came for 60 s).
  var SCAN_FAST_MS = 2000;
  var SCAN_FAST_FOR_MS = 2 * 60 * 1000;
  var SCAN_SLOW_MS = 5000;
  var SCAN_WATCH_FOR_MS = 15 * 60 * 1000;
  // MWEB return: the buyer says it has paid; a few checks, each asking WeChat (at most one orderquery per 5 s).
  var RETURN_DELAYS = [0, 1500, 2500, 4000];

  var FINAL_ERRORS = {
    ORDER_CLOSED: '订单已关闭，请返回商户重新下单',
    ORDER_EXPIRED: '订单已过期，请返回商户重新下单',
    ORDER_NOT_PAYABLE: '订单无法支付，请返回商户重新下单',
    ORDER_NOT_FOUND: '订单不存在或链接已失效',
    PREPAY_OPENID_MISMATCH: '该订单已由其他微信用户发起支付',
    UPSTREAM_REJECTED: '微信支付拒绝了该订单，请返回商户重新下单',
    TRADE_TYPE_UNAVAILABLE: '当前浏览器无法完成支付，请在微信中打开支付链接'
  };

  var mode = 'pay'; // 'pay' | 'confirm': what the button does (JSAPI)
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
    if (repayButton) repayButton.hidden = true;
    if (qrBox) qrBox.hidden = true;
  }
  function showPaid() {
    payPanel.hidden = true;
    paidPanel.hidden = false;
    payButton.hidden = true;
    if (repayButton) repayButton.hidden = true;
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
  /** The order's status as the server knows it ('' when unknown); sync: ask WeChat first. */
  function orderStatus(sync) {
    return fetch('/pay/' + orderPath + '/status' + (sync ? '?sync=1' : ''), {
      headers: { 'X-Checkout-Token': token },
      credentials: 'same-origin',
      cache: 'no-store'
    })
      .then(readJson)
      .then(function (r) {
        return r.ok && r.body && typeof r.body.status === 'string' ? r.body.status : '';
      }, function () {
        return '';
      });
  }
  /** Shows a final status and answers true; false while the order is unpaid (or unknown). */
  function settled(status) {
    if (status === 'PAID') showPaid();
    else if (status === 'CLOSED') finish('订单已关闭');
    else if (status === 'FAILED') finish('支付失败，请返回商户重新下单');
    else return false;
    return true;
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
      var sync = poll >= SYNC_FROM_POLL;
      var delay = POLL_DELAYS[poll++];
      setTimeout(function () {
        orderStatus(sync).then(function (status) {
          if (settled(status)) busy = false;
          else next();
        });
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

  /** A POST authorised by the link's token (never in a URL), read as { ok, body }. */
  function postWithToken(path) {
    return fetch(path, {
      method: 'POST',
      headers: { 'X-Checkout-Token': token },
      credentials: 'same-origin',
      cache: 'no-store'
    }).then(readJson);
  }

  function pay() {
    if (busy) return;
    var b = bridge();
    if (!b) return say('请在微信中打开此页面完成支付', true);
    busy = true;
    say('');
    setButton('正在发起支付…', false);
    postWithToken('/v1/orders/' + orderPath + '/jsapi')
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

  function startJsapi() {
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
  }

  /**
   * POST /pay/:no/payments: the server picks NATIVE or MWEB from this browser and answers with the
   * attempt (the same one again while it lives). onAnswer(body), or onFailed(message) for a retry.
   */
  function startAttempt(onAnswer, onFailed) {
    postWithToken('/pay/' + orderPath + '/payments')
      .then(function (r) {
        if (r.ok && r.body) return onAnswer(r.body);
        var code = errorCode(r.body);
        if (code === 'ORDER_PAID') {
          // Paid already (on another device, or a moment ago): the status endpoint says so, or nothing is shown as paid.
          return orderStatus(true).then(function (status) {
            if (!settled(status)) finish('该订单已支付，请勿重复支付');
          });
        }
        if (FINAL_ERRORS[code]) return finish(FINAL_ERRORS[code]);
        onFailed(code === 'UPSTREAM_UNAVAILABLE' ? '微信支付繁忙，请稍后重试' : '发起支付失败，请稍后重试');
      }, function () {
        onFailed('网络异常，请检查网络后重试');
      });
  }

  // ---- NATIVE: a QR code for WeChat's 扫一扫 ----

  var watchTimer = null;

  function watchScan() {
    var started = Date.now();
    clearTimeout(watchTimer);
    function tick() {
      var elapsed = Date.now() - started;
      if (elapsed >= SCAN_WATCH_FOR_MS) {
        say('长时间未确认到支付结果。如已付款，请点击刷新，请勿重复支付。', true);
        return setButton('刷新支付结果', true);
      }
      orderStatus(false).then(function (status) {
        if (!settled(status)) watchTimer = setTimeout(tick, elapsed < SCAN_FAST_FOR_MS ? SCAN_FAST_MS : SCAN_SLOW_MS);
      });
    }
    watchTimer = setTimeout(tick, SCAN_FAST_MS);
  }

  function showQr(body) {
    if (body.trade_type !== 'NATIVE' || typeof body.qr_svg !== 'string' || typeof body.code_url !== 'string') {
      say('发起支付失败，请稍后重试', true);
      return setButton('重新获取二维码', true);
    }
    // The server's SVG as an image: it cannot run anything, and the CSP allows data: images.
    var img = document.createElement('img');
    img.alt = '微信支付二维码';
    img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(body.qr_svg);
    qrBox.textContent = '';
    qrBox.appendChild(img);
    qrBox.setAttribute('data-code-url', body.code_url);
    qrBox.hidden = false;
    payButton.hidden = true;
    say('支付完成后，本页将自动显示结果');
    watchScan();
  }

  function startNative() {
    if (busy) return;
    busy = true;
    payButton.hidden = true;
    say('正在生成二维码…');
    startAttempt(function (body) {
      busy = false;
      showQr(body);
    }, function (message) {
      busy = false;
      say(message, true);
      setButton('重新获取二维码', true);
    });
  }

  // ---- MWEB: WeChat's H5 page, and back ----

  function returnUrl() {
    var href = window.location.href.split('#')[0];
    return /[?&]mweb=1(?:&|$)/.test(href) ? href : href + (href.indexOf('?') < 0 ? '?' : '&') + 'mweb=1';
  }

  function toWechat() {
    if (busy) return;
    busy = true;
    say('正在前往微信支付…');
    setButton('正在前往微信支付…', false);
    if (repayButton) repayButton.disabled = true;
    startAttempt(function (body) {
      if (body.trade_type !== 'MWEB' || typeof body.mweb_url !== 'string') {
        busy = false;
        return leaveFailed('发起支付失败，请稍后重试');
      }
      // Back from WeChat's page (or the Back button) lands on the return page, never on a second redirect.
      if (window.history && history.replaceState) history.replaceState(null, '', returnUrl());
      // This page's Referrer-Policy is strict-origin: WeChat sees our origin (it checks it), never the token.
      window.location.href = body.mweb_url;
    }, function (message) {
      busy = false;
      leaveFailed(message);
    });
  }

  function leaveFailed(message) {
    say(message, true);
    if (pageMode === 'MWEB_RETURN') {
      setButton('已完成支付', true);
      repayButton.disabled = false;
    } else setButton('前往微信支付', true);
  }

  function checkReturn() {
    if (busy) return;
    busy = true;
    say('正在查询支付结果…');
    setButton('正在查询…', false);
    repayButton.disabled = true;
    var i = 0;
    function next() {
      if (i >= RETURN_DELAYS.length) {
        busy = false;
        say('暂未查询到支付结果。如已付款，请稍后再点“已完成支付”；如未付款，请点“重新支付”。', true);
        setButton('已完成支付', true);
        repayButton.disabled = false;
        return;
      }
      setTimeout(function () {
        orderStatus(true).then(function (status) {
          if (settled(status)) busy = false;
          else next();
        });
      }, RETURN_DELAYS[i++]);
    }
    next();
  }

  // A page restored from the back-forward cache still shows what it showed when it left: ask the server again.
  window.addEventListener('pageshow', function (e) {
    if (e.persisted && (pageMode === 'MWEB' || pageMode === 'MWEB_RETURN')) window.location.reload();
  });

  if (pageMode === 'NATIVE') {
    payButton.addEventListener('click', startNative);
    startNative();
  } else if (pageMode === 'MWEB') {
    payButton.addEventListener('click', toWechat);
    toWechat();
  } else if (pageMode === 'MWEB_RETURN') {
    payButton.addEventListener('click', checkReturn);
    repayButton.addEventListener('click', toWechat);
  } else startJsapi();
})();
`;
