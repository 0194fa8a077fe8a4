// WeChat Pay API v3 behind the channel seam (channel/channel.ts): every call signed with the merchant's
// RSA key and every answer verified (call.ts); the pay params signed with the same key (signType RSA,
// docs/wechatpay-v3.md §7); no client certificate for refunds. Use cases cannot tell it from v2Channel.
import { appPayParamsV3, jsapiPayParamsV3 } from '../../core';
import { appIdOf, payingAppId, type PayParams, type PaymentChannel, type Prepay, type PrepayRequest, type WechatTransport } from '../channel';
import { fetchBillV3 } from './bill';
import { signingKey } from './keys';
import { queryRefundV3, refundV3 } from './refunds';
import type { V3Deps } from './request';
import { closeOrderV3, prepayV3, queryOrderV3 } from './transactions';

export function v3Channel(deps: V3Deps): PaymentChannel {
  const { config } = deps;
  return {
    appIdFor: (tradeType) => appIdOf(config, tradeType),
    async prepay(req: PrepayRequest): Promise<Prepay> {
      const appId = appIdOf(config, req.payer.tradeType);
      if (appId === null) throw new Error(`trade type ${req.payer.tradeType} is not enabled (WECHAT_TRADE_TYPES)`);
      // The OrderRef every later call of this order is made with must name the appid it is placed under.
      if ((req.order.appId ?? config.appId) !== appId) throw new Error(`the order's appid is not the one ${req.payer.tradeType} pays under`);
      return prepayV3(deps, req, appId);
    },
    async payParams(prepay, order, at): Promise<PayParams> {
      switch (prepay.tradeType) {
        case 'JSAPI':
        case 'MINIPROGRAM': {
          // getBrandWCPayRequest / wx.requestPayment, signType RSA, under the appid the prepay was placed under.
          const appId = payingAppId(config, prepay.tradeType, order);
          return { tradeType: prepay.tradeType, params: await jsapiPayParamsV3(prepay.prepayId, appId, await signingKey(deps.v3), at.timeStamp, at.nonce) };
        }
        case 'NATIVE':
          return { tradeType: 'NATIVE', codeUrl: prepay.codeUrl };
        case 'MWEB':
          return { tradeType: 'MWEB', mwebUrl: prepay.mwebUrl };
        case 'APP': {
          const appId = payingAppId(config, 'APP', order);
          return { tradeType: 'APP', params: await appPayParamsV3(prepay.prepayId, appId, config.mchId, await signingKey(deps.v3), at.timeStamp, at.nonce) };
        }
      }
    },
    queryOrder: (order) => queryOrderV3(deps, order),
    closeOrder: (order) => closeOrderV3(deps, order),
    refund: (req) => refundV3(deps, req),
    queryRefund: (outRefundNo) => queryRefundV3(deps, outRefundNo),
    fetchBill: (billDate, billType) => fetchBillV3(deps, billDate, billType),
    // v3 refunds need no client certificate: the signed request is the merchant's proof.
    refundsAvailable: true,
    counted(onRequest) {
      const api: WechatTransport = (url, init) => {
        onRequest();
        return deps.transports.api(url, init);
      };
      return v3Channel({ ...deps, transports: { ...deps.transports, api } });
    },
  };
}
