/**
 * 下单, 查询订单, 关闭订单 over API v3 (docs/wechatpay-v3.md §6.1–§6.3): JSAPI (also a mini-program's,
 * under its own appid), NATIVE, H5 (the domain's MWEB) and APP; each answer verified (call.ts) before
 * it is read. A prepay is never retried blindly: on TIMEOUT/NETWORK its outcome is unknown (callers
 * query, or repeat with identical parameters, which WeChat answers with the same prepay).
 */
import {
  ChannelError,
  isCodeUrl,
  isMwebUrl,
  isPrepayId,
  type OrderQueryResult,
  type OrderRef,
  type Payer,
  type Prepay,
  type PrepayRequest,
  type TradeState,
} from '../channel';
import { callV3, callV3WithRetries, fen, obj, str } from './call';
import type { V3Deps } from './request';
import { rfc3339Beijing, timeEndOf } from './time';

const TRADE_STATES: ReadonlySet<string> = new Set(['SUCCESS', 'REFUND', 'NOTPAY', 'CLOSED', 'REVOKED', 'USERPAYING', 'PAYERROR']);
/** API v3 carries UTF-8 of 1–3 bytes a character only (docs/wechatpay-v3.md §1): no emoji. */
const FOUR_BYTE_CHARACTER = /[\u{10000}-\u{10FFFF}]/u;

/** Where v3 notifies of payments arrive (the v2 route stays for orders placed under v2). */
export function v3NotifyUrl(deps: Pick<V3Deps, 'config'>): string {
  return `${deps.config.publicBaseUrl}/wechat/v3/notify`;
}

const ENDPOINTS: Record<Payer['tradeType'], string> = {
  JSAPI: '/v3/pay/transactions/jsapi',
  MINIPROGRAM: '/v3/pay/transactions/jsapi',
  NATIVE: '/v3/pay/transactions/native',
  MWEB: '/v3/pay/transactions/h5',
  APP: '/v3/pay/transactions/app',
};

/** What each trade type sends beyond the common fields (§6.1): the payer of JSAPI, H5's scene_info. */
function tradeFields(req: PrepayRequest): Record<string, unknown> {
  const { payer } = req;
  switch (payer.tradeType) {
    case 'JSAPI':
    case 'MINIPROGRAM':
      return { payer: { openid: payer.openid } };
    case 'MWEB':
      // The buyer's IP as pinned on the attempt: WeChat checks it when the buyer opens h5_url.
      return { scene_info: { payer_client_ip: req.clientIp, h5_info: { type: 'Wap', app_name: payer.scene.wapName, app_url: payer.scene.wapUrl } } };
    default:
      return {}; // NATIVE (v3 takes no product_id) and APP
  }
}

/**
 * The prepay, by trade type. v3's NATIVE and H5 answers carry no prepay_id; the attempt still needs one
 * (it marks "WeChat issued this number"): H5's is the `prepay_id` in its h5_url (WeChat's h5_url has
 * it), else — and for NATIVE — the out_trade_no under a prefix no WeChat prepay_id has.
 */
export async function prepayV3(deps: V3Deps, req: PrepayRequest, appId: string): Promise<Prepay> {
  const { payer, order } = req;
  // WeChat would refuse it (400 PARAM_ERROR); refused here the same way, without the call.
  if (FOUR_BYTE_CHARACTER.test(req.description) || (req.attach && FOUR_BYTE_CHARACTER.test(req.attach))) throw new ChannelError('BUSINESS', 'PARAM_ERROR');
  const answer = await callV3(deps, {
    method: 'POST',
    url: ENDPOINTS[payer.tradeType],
    subject: 'ORDER',
    body: {
      appid: appId,
      mchid: deps.config.mchId,
      description: req.description,
      out_trade_no: order.outTradeNo,
      time_expire: rfc3339Beijing(req.expiresAt),
      ...(req.attach ? { attach: req.attach } : {}),
      notify_url: v3NotifyUrl(deps),
      amount: { total: req.totalFee, currency: 'CNY' },
      ...tradeFields(req),
    },
  });
  const marker = `v3_${payer.tradeType}_${order.outTradeNo}`;
  switch (payer.tradeType) {
    case 'NATIVE': {
      const codeUrl = str(answer, 'code_url') ?? '';
      if (!isCodeUrl(codeUrl)) throw new ChannelError('PROTOCOL');
      return { tradeType: 'NATIVE', prepayId: marker, codeUrl };
    }
    case 'MWEB': {
      const mwebUrl = str(answer, 'h5_url') ?? '';
      if (!isMwebUrl(deps.config, mwebUrl)) throw new ChannelError('PROTOCOL');
      const inUrl = new URL(mwebUrl).searchParams.get('prepay_id') ?? undefined;
      return { tradeType: 'MWEB', prepayId: isPrepayId(inUrl) ? inUrl : marker, mwebUrl };
    }
    default: {
      const prepayId = str(answer, 'prepay_id');
      if (!isPrepayId(prepayId)) throw new ChannelError('PROTOCOL');
      return { tradeType: payer.tradeType, prepayId };
    }
  }
}

const orderPath = (outTradeNo: string) => `/v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}`;

/**
 * 查询订单 by out_trade_no, retried with backoff (safe to repeat). The answer must name this order, our
 * mchid and the appid the order was placed under; its facts are mapped onto v2's names and forms.
 */
export function queryOrderV3(deps: V3Deps, order: OrderRef): Promise<OrderQueryResult> {
  const appId = order.appId ?? deps.config.appId;
  return callV3WithRetries(deps, {
    method: 'GET',
    url: `${orderPath(order.outTradeNo)}?mchid=${encodeURIComponent(deps.config.mchId)}`,
    subject: 'ORDER',
  }).then((a) => {
    const tradeState = str(a, 'trade_state') ?? '';
    const appid = str(a, 'appid');
    if (!TRADE_STATES.has(tradeState) || str(a, 'out_trade_no') !== order.outTradeNo || str(a, 'mchid') !== deps.config.mchId) {
      throw new ChannelError('PROTOCOL');
    }
    if (appid !== undefined && appid !== appId) throw new ChannelError('PROTOCOL');
    const amount = obj(a, 'amount');
    return {
      tradeState: tradeState as TradeState,
      outTradeNo: order.outTradeNo,
      transactionId: str(a, 'transaction_id') || undefined,
      totalFee: fen(amount, 'total'),
      cashFee: fen(amount, 'payer_total'),
      feeType: str(amount, 'currency') || undefined,
      bankType: str(a, 'bank_type') || undefined,
      openid: str(obj(a, 'payer'), 'openid') || undefined,
      timeEnd: timeEndOf(a?.success_time),
      tradeType: str(a, 'trade_type') || undefined,
    };
  });
}

/**
 * 关闭订单: 204 when closed (also when it already was). A paid order's refusal surfaces as ORDERPAID,
 * one already closed as ORDERCLOSED (errors.ts): the callers' CLOSE_MIN_AGE and confirm-by-query rules
 * are the same as under v2.
 */
export async function closeOrderV3(deps: V3Deps, order: OrderRef): Promise<void> {
  await callV3(deps, { method: 'POST', url: `${orderPath(order.outTradeNo)}/close`, subject: 'ORDER', body: { mchid: deps.config.mchId } });
}
