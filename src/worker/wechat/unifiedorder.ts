/**
 * 统一下单 for JSAPI. Never retried blindly: on TIMEOUT/NETWORK the outcome is unknown, so callers
 * query (or repeat with identical parameters, which WeChat answers with the same prepay).
 * @see https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1
 */
import type { SignType } from '../../core';
import { callWechat, type WechatDeps } from './call';
import { WechatError } from './errors';

export interface UnifiedOrderRequest {
  readonly outTradeNo: string;
  /** `body`: String(127), checked by bytes at order creation. */
  readonly description: string;
  /** Integer fen, from our own order row — never from a browser. */
  readonly totalFee: number;
  readonly openid: string;
  readonly spbillCreateIp: string;
  readonly notifyUrl: string;
  /** yyyyMMddHHmmss, Beijing time. */
  readonly timeExpire: string;
  readonly attach?: string | null;
  readonly signType: SignType;
}

export async function unifiedOrder(deps: WechatDeps, req: UnifiedOrderRequest): Promise<{ prepayId: string }> {
  const answer = await callWechat(deps, {
    path: '/pay/unifiedorder',
    signType: req.signType,
    fields: {
      body: req.description,
      attach: req.attach ?? undefined,
      out_trade_no: req.outTradeNo,
      fee_type: 'CNY',
      total_fee: req.totalFee,
      spbill_create_ip: req.spbillCreateIp,
      time_expire: req.timeExpire,
      notify_url: req.notifyUrl,
      trade_type: 'JSAPI',
      openid: req.openid,
    },
  });
  const prepayId = answer.prepay_id;
  if (!prepayId || !/^[A-Za-z0-9_-]{1,64}$/.test(prepayId) || (answer.trade_type !== undefined && answer.trade_type !== 'JSAPI')) {
    throw new WechatError('PROTOCOL');
  }
  return { prepayId };
}
