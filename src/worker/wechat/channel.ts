// The API v2 implementation of the channel seam (channel/channel.ts): each method is one endpoint
// module over the signed-call path; what WeChat posts to us is read with the same key and rules.
import { appPayParams, decryptRefundInfo, jsapiPayParams, verifySignedMessage, formatWechatTime, canonicalString } from '../../core';
import type { NotifyReader, OrderRef, PayParams, PaymentChannel, Prepay, PrepayRequest, TradeType } from '../channel';
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

/** Reads notifies with the merchant's key: the signature rule of §3.4 within the configured allowlist; req_info by AES-256-ECB. */
export function v2NotifyReader(config: Pick<Config, 'apiKey' | 'signType'>): NotifyReader {
  return {
    async readPayNotify(fields) {
      const verified = await verifySignedMessage(fields, config.apiKey, [config.signType]);
      if (!verified.ok) return { ok: false, reason: verified.reason };
      return {
        ok: true,
        fields: verified.signedFields,
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
      return { ok: true, info, messageKey: await refundMessageSha256(info) };
    },
  };
}

/**
 * The appid a trade type pays under: the 公众号's for JSAPI, NATIVE and MWEB, the mini-program's, the
 * mobile app's; null when the merchant has not enabled it (WECHAT_TRADE_TYPES).
 */
function appIdOf(config: Config, tradeType: TradeType): string | null {
  if (!config.tradeTypes.has(tradeType)) return null;
  if (tradeType === 'MINIPROGRAM') return config.miniProgram?.appId ?? null;
  if (tradeType === 'APP') return config.appAppId;
  return config.appId;
}

/**
 * The appid a stored prepay's pay params are signed under: the order's own. A mini-program's or an
 * app's order always names it, since falling back to the 公众号 appid would sign a paySign the
 * buyer's client rejects (the classic 支付验证签名失败).
 */
function payingAppId(config: Config, tradeType: TradeType, order: OrderRef): string {
  if ((tradeType === 'MINIPROGRAM' || tradeType === 'APP') && order.appId === undefined) {
    throw new Error(`a ${tradeType} order names the appid it was placed under (OrderRef.appId)`);
  }
  return order.appId ?? config.appId;
}

/** WeChat Pay API v2 behind the channel interface. */
export function v2Channel(deps: WechatDeps): PaymentChannel {
  const { config } = deps;
  return {
    ...v2NotifyReader(config),
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
