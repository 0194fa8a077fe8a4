// The API v2 implementation of the channel seam (channel/channel.ts): each method is one endpoint
// module over the signed-call path; what WeChat posts to us is read with the same key and rules.
import { appPayParams, decryptRefundInfo, jsapiPayParams, verifySignedMessage, formatWechatTime, canonicalString } from '../../core';
import {
  appIdOf,
  payingAppId,
  type NotifyReader,
  type PaymentNotice,
  type PayParams,
  type PaymentChannel,
  type Prepay,
  type PrepayRequest,
  type RefundNotice,
} from '../channel';
import { sha256Hex } from '../../core';
import type { Config } from '../platform/config';
import type { WechatDeps } from './call';
import { closeOrder } from './closeorder';
import { downloadBillStream } from './downloadbill';
import { orderQuery } from './orderquery';
import { refund } from './refund';
import { refundQuery } from './refundquery';
import type { WechatTransport } from './transport';
import { h5SceneInfo, unifiedOrder, type UnifiedOrderRequest } from './unifiedorder';

/**
 * The payment notify's idempotency key: what the signature covers (canonical, so blind to field
 * order, CDATA or text, whitespace between elements, an XML declaration, unsigned empty fields and,
 * under the trimmed reading, value padding) plus the sign in its one accepted case. Re-encodings of
 * one message share it; any signed change gives another.
 */
function payMessageSha256(signedFields: Readonly<Record<string, string>>, sign: string): Promise<string> {
  return sha256Hex(`PAY\n${canonicalString(signedFields)}&sign=${sign.toUpperCase()}`);
}

/**
 * The same for a refund notify, which has no sign: the decrypted req_info fields, canonical. The
 * outer fields are not authenticated (anyone holding one notify could vary nonce_str at will), and
 * the outer appid/mch_id only select the anomaly kind, which is part of the anomaly's unique key.
 */
function refundMessageSha256(decrypted: Readonly<Record<string, string>>): Promise<string> {
  return sha256Hex(`REFUND\n${canonicalString(decrypted)}`);
}

/** A v2 payment notify's signed fields as the notice both API versions share (channel/channel.ts). */
function paymentNotice(f: Readonly<Record<string, string>>): PaymentNotice {
  return {
    appId: f.appid,
    mchId: f.mch_id,
    outTradeNo: f.out_trade_no,
    transactionId: f.transaction_id,
    totalFee: f.total_fee,
    cashFee: f.cash_fee,
    feeType: f.fee_type,
    succeeded: f.result_code === 'SUCCESS',
    failure: { err_code: f.err_code ?? null },
    tradeType: f.trade_type,
    openid: f.openid,
    bankType: f.bank_type,
    timeEnd: f.time_end,
  };
}

/** A v2 refund notify as the notice: the outer appid/mch_id (unencrypted) and the decrypted req_info. */
function refundNotice(outer: Readonly<Record<string, string>>, info: Readonly<Record<string, string>>): RefundNotice {
  return {
    appId: outer.appid,
    mchId: outer.mch_id,
    outTradeNo: info.out_trade_no,
    outRefundNo: info.out_refund_no,
    refundId: info.refund_id,
    status: info.refund_status,
    refundFee: info.refund_fee,
    totalFee: info.total_fee,
    successTime: info.success_time,
  };
}

/** Reads notifies with the merchant's key: the signature rule of §3.4 within the configured allowlist; req_info by AES-256-ECB. */
export function v2NotifyReader(config: Pick<Config, 'apiKey' | 'signType'>): NotifyReader {
  return {
    async readPayNotify(fields) {
      const verified = await verifySignedMessage(fields, config.apiKey, [config.signType]);
      if (!verified.ok) return { ok: false, reason: verified.reason };
      return {
        ok: true,
        notice: paymentNotice(verified.signedFields),
        trimmedReading: verified.trimmedReading,
        messageKey: await payMessageSha256(verified.signedFields, fields.sign!),
      };
    },
    async readRefundNotify(fields) {
      if (!fields.req_info) return { ok: false, reason: 'REQ_INFO_MISSING' };
      let info: Record<string, string>;
      try {
        info = await decryptRefundInfo(fields.req_info, config.apiKey);
      } catch {
        return { ok: false, reason: 'REQ_INFO_UNDECRYPTABLE' };
      }
      return { ok: true, notice: refundNotice(fields, info), messageKey: await refundMessageSha256(info) };
    },
  };
}

/** WeChat Pay API v2 behind the channel interface. */
export function v2Channel(deps: WechatDeps): PaymentChannel {
  const { config } = deps;
  return {
    appIdFor: (tradeType) => appIdOf(config, tradeType),
    async prepay(req: PrepayRequest): Promise<Prepay> {
      const { payer, order } = req;
      const appId = appIdOf(config, payer.tradeType);
      if (appId === null) throw new Error(`trade type ${payer.tradeType} is not enabled (WECHAT_TRADE_TYPES)`);
      // The OrderRef every later call of this order is made with must name the appid it is placed under.
      if ((order.appId ?? config.appId) !== appId) throw new Error(`the order's appid is not the one ${payer.tradeType} pays under`);
      const common: UnifiedOrderRequest = {
        outTradeNo: order.outTradeNo,
        appId,
        description: req.description,
        totalFee: req.totalFee,
        spbillCreateIp: req.clientIp,
        notifyUrl: req.notifyUrl,
        timeExpire: formatWechatTime(req.expiresAt),
        attach: req.attach,
        signType: order.signType,
      };
      switch (payer.tradeType) {
        case 'JSAPI':
        case 'MINIPROGRAM': {
          // A mini-program pays by JSAPI under its own appid, with the openid under that appid.
          const { prepayId } = await unifiedOrder(deps, { ...common, tradeType: 'JSAPI', openid: payer.openid });
          return { tradeType: payer.tradeType, prepayId };
        }
        case 'NATIVE': {
          const r = await unifiedOrder(deps, { ...common, tradeType: 'NATIVE', productId: payer.productId });
          if (r.tradeType !== 'NATIVE') throw new Error('unifiedorder NATIVE answered another trade type');
          return { tradeType: 'NATIVE', prepayId: r.prepayId, codeUrl: r.codeUrl };
        }
        case 'MWEB': {
          const r = await unifiedOrder(deps, { ...common, tradeType: 'MWEB', sceneInfo: h5SceneInfo(payer.scene) });
          if (r.tradeType !== 'MWEB') throw new Error('unifiedorder MWEB answered another trade type');
          return { tradeType: 'MWEB', prepayId: r.prepayId, mwebUrl: r.mwebUrl };
        }
        case 'APP': {
          const { prepayId } = await unifiedOrder(deps, { ...common, tradeType: 'APP' });
          return { tradeType: 'APP', prepayId };
        }
      }
    },
    async payParams(prepay, order, at): Promise<PayParams> {
      switch (prepay.tradeType) {
        case 'JSAPI':
        case 'MINIPROGRAM': {
          // getBrandWCPayRequest / wx.requestPayment: paySign under the appid the prepay was placed under.
          const signer = { appId: payingAppId(config, prepay.tradeType, order), key: config.apiKey, signType: order.signType };
          return { tradeType: prepay.tradeType, params: await jsapiPayParams(prepay.prepayId, signer, String(at.timeStamp), at.nonce) };
        }
        case 'NATIVE':
          return { tradeType: 'NATIVE', codeUrl: prepay.codeUrl };
        case 'MWEB':
          return { tradeType: 'MWEB', mwebUrl: prepay.mwebUrl };
        case 'APP': {
          const signer = { appId: payingAppId(config, 'APP', order), mchId: config.mchId, key: config.apiKey, signType: order.signType };
          return { tradeType: 'APP', params: await appPayParams(prepay.prepayId, signer, String(at.timeStamp), at.nonce) };
        }
      }
    },
    // Every call about an order goes under the appid it was placed under (OrderRef.appId ?? the 公众号's).
    queryOrder: (order) => orderQuery(deps, order.outTradeNo, order.signType, order.appId),
    closeOrder: (order) => closeOrder(deps, order.outTradeNo, order.signType, order.appId),
    refund: (req) =>
      refund(deps, {
        outTradeNo: req.order.outTradeNo,
        outRefundNo: req.outRefundNo,
        totalFee: req.totalFee,
        refundFee: req.refundFee,
        refundDesc: req.refundDesc,
        notifyUrl: req.notifyUrl,
        signType: req.order.signType,
        appId: req.order.appId,
      }),
    queryRefund: (outRefundNo, order) => refundQuery(deps, outRefundNo, order.signType, order.appId),
    fetchBill: (billDate, billType) => downloadBillStream(deps, billDate, billType, config.signType),
    refundsAvailable: deps.transports.certAvailable !== false,
    counted(onRequest) {
      const count =
        (t: WechatTransport): WechatTransport =>
        (url, init) => {
          onRequest();
          return t(url, init);
        };
      return v2Channel({ ...deps, transports: { ...deps.transports, api: count(deps.transports.api), cert: count(deps.transports.cert) } });
    },
  };
}
