// The API v2 implementation of the channel seam (channel/channel.ts): each method is one endpoint
// module over the signed-call path; what WeChat posts to us is read with the same key and rules.
import { decryptRefundInfo, jsapiPayParams, verifySignedMessage, formatWechatTime, canonicalString } from '../../core';
import type { NotifyReader, PayParams, PaymentChannel, Prepay, PrepayRequest } from '../channel';
import { sha256Hex } from '../../core';
import type { Config } from '../platform/config';
import type { WechatDeps } from './call';
import { closeOrder } from './closeorder';
import { downloadBillStream } from './downloadbill';
import { orderQuery } from './orderquery';
import { refund } from './refund';
import { refundQuery } from './refundquery';
import type { WechatTransport } from './transport';
import { unifiedOrder } from './unifiedorder';

function unsupported(tradeType: string): never {
  throw new Error(`trade type ${tradeType} is not implemented by the v2 channel yet`);
}

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

/** WeChat Pay API v2 behind the channel interface. */
export function v2Channel(deps: WechatDeps): PaymentChannel {
  const { config } = deps;
  return {
    ...v2NotifyReader(config),
    appIdFor: (tradeType) => (tradeType === 'JSAPI' ? config.appId : null),
    async prepay(req: PrepayRequest): Promise<Prepay> {
      if (req.payer.tradeType !== 'JSAPI') unsupported(req.payer.tradeType);
      const { prepayId } = await unifiedOrder(deps, {
        outTradeNo: req.order.outTradeNo,
        description: req.description,
        totalFee: req.totalFee,
        openid: req.payer.openid,
        spbillCreateIp: req.clientIp,
        notifyUrl: req.notifyUrl,
        timeExpire: formatWechatTime(req.expiresAt),
        attach: req.attach,
        signType: req.order.signType,
      });
      return { tradeType: 'JSAPI', prepayId };
    },
    async payParams(prepay, order, at): Promise<PayParams> {
      if (prepay.tradeType !== 'JSAPI') unsupported(prepay.tradeType);
      const params = await jsapiPayParams(
        prepay.prepayId,
        { appId: config.appId, key: config.apiKey, signType: order.signType },
        String(at.timeStamp),
        at.nonce,
      );
      return { tradeType: 'JSAPI', params };
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
