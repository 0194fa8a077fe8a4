/**
 * 统一下单 for every v2 trade type (docs/wechatpay-v2.md §6; docs/wechatpay-v2.md §23): JSAPI (also a
 * mini-program's, under its own appid), NATIVE, MWEB and APP. Never retried blindly: on
 * TIMEOUT/NETWORK the outcome is unknown, so callers query (or repeat with identical parameters, which
 * WeChat answers with the same prepay).
 * @see https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_1
 */
import type { SignType } from '../../core';
import { isCodeUrl, isMwebUrl, isPrepayId } from '../channel';
import { callWechat, type WechatDeps } from './call';
import { WechatError } from './errors';

/** `trade_type` as WeChat knows it: a mini-program pays by JSAPI under its own appid. */
export type WireTradeType = 'JSAPI' | 'NATIVE' | 'MWEB' | 'APP';

export interface UnifiedOrderRequest {
  readonly outTradeNo: string;
  /** `body`: String(127), checked by bytes at order creation. */
  readonly description: string;
  /** Integer fen, from our own order row — never from a browser. */
  readonly totalFee: number;
  readonly spbillCreateIp: string;
  readonly notifyUrl: string;
  /** yyyyMMddHHmmss, Beijing time. */
  readonly timeExpire: string;
  readonly attach?: string | null;
  readonly signType: SignType;
  /** The appid the order is placed under (a mini-program's, an app's); absent: the 公众号 appid. */
  readonly appId?: string;
  /** Absent: JSAPI. */
  readonly tradeType?: WireTradeType;
  /** JSAPI only, and required there: the buyer's openid under `appId`. */
  readonly openid?: string;
  /** NATIVE only, and required there: String(32), the product the QR code is for. */
  readonly productId?: string;
  /** MWEB only, and required there: the `scene_info` JSON (`h5SceneInfo`). */
  readonly sceneInfo?: string;
}

/** What a verified answer leaves: the prepay, and for NATIVE the QR code's URL, for MWEB the page to open. */
export type UnifiedOrderResult =
  | { readonly tradeType: 'JSAPI' | 'APP'; readonly prepayId: string }
  | { readonly tradeType: 'NATIVE'; readonly prepayId: string; readonly codeUrl: string }
  | { readonly tradeType: 'MWEB'; readonly prepayId: string; readonly mwebUrl: string };

/** scene_info is String(256) (by UTF-8 bytes; the configuration checks PUBLIC_BASE_URL and H5_WAP_NAME against it). */
const SCENE_INFO_MAX_BYTES = 256;
const PRODUCT_ID = /^[\x21-\x7e]{1,32}$/;

/** MWEB's `scene_info` (docs/wechatpay-v2.md §23.2): a JSON string, the merchant's H5 site as type Wap. */
export function h5SceneInfo(scene: { readonly wapUrl: string; readonly wapName: string }): string {
  return JSON.stringify({ h5_info: { type: 'Wap', wap_url: scene.wapUrl, wap_name: scene.wapName } });
}

/** What each trade type sends beyond the common fields; a missing or misplaced one is a programming error. */
function tradeFields(req: UnifiedOrderRequest, tradeType: WireTradeType): Record<string, string> {
  if (tradeType !== 'JSAPI' && req.openid !== undefined) throw new Error(`unifiedorder ${tradeType} takes no openid`);
  if (tradeType !== 'NATIVE' && req.productId !== undefined) throw new Error(`unifiedorder ${tradeType} takes no product_id`);
  if (tradeType !== 'MWEB' && req.sceneInfo !== undefined) throw new Error(`unifiedorder ${tradeType} takes no scene_info`);
  switch (tradeType) {
    case 'JSAPI':
      if (!req.openid) throw new Error('unifiedorder JSAPI needs the openid');
      return { openid: req.openid };
    case 'NATIVE':
      if (req.productId === undefined || !PRODUCT_ID.test(req.productId)) throw new RangeError('product_id must be 1-32 printable ASCII characters');
      return { product_id: req.productId };
    case 'MWEB':
      if (!req.sceneInfo || new TextEncoder().encode(req.sceneInfo).byteLength > SCENE_INFO_MAX_BYTES) {
        throw new RangeError(`scene_info must be 1-${SCENE_INFO_MAX_BYTES} bytes`);
      }
      return { scene_info: req.sceneInfo };
    case 'APP':
      return {};
  }
}

export async function unifiedOrder(deps: WechatDeps, req: UnifiedOrderRequest): Promise<UnifiedOrderResult> {
  const tradeType = req.tradeType ?? 'JSAPI';
  const appId = req.appId ?? deps.config.appId;
  const answer = await callWechat(deps, {
    path: '/pay/unifiedorder',
    signType: req.signType,
    appId,
    fields: {
      body: req.description,
      attach: req.attach ?? undefined,
      out_trade_no: req.outTradeNo,
      fee_type: 'CNY',
      total_fee: req.totalFee,
      spbill_create_ip: req.spbillCreateIp,
      time_expire: req.timeExpire,
      notify_url: req.notifyUrl,
      trade_type: tradeType,
      ...tradeFields(req, tradeType),
    },
  });
  // A prepay under another appid or for another trade type could not be paid as we would ask.
  const prepayId = answer.prepay_id;
  if (!isPrepayId(prepayId) || answer.appid !== appId || answer.trade_type !== tradeType) throw new WechatError('PROTOCOL');
  switch (tradeType) {
    case 'NATIVE': {
      const codeUrl = answer.code_url ?? '';
      if (!isCodeUrl(codeUrl)) throw new WechatError('PROTOCOL');
      return { tradeType, prepayId, codeUrl };
    }
    case 'MWEB': {
      const mwebUrl = answer.mweb_url ?? '';
      if (!isMwebUrl(deps.config, mwebUrl)) throw new WechatError('PROTOCOL');
      return { tradeType, prepayId, mwebUrl };
    }
    default:
      return { tradeType, prepayId };
  }
}
