/**
 * 下载交易账单. The success answer is the bill text (or gzip) and is NOT signed; an error is XML,
 * whatever its Content-Type, so the body decides (docs/wechatpay-v2.md §15).
 * @see https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_6
 */
import { parseXml, type SignType } from '../../core';
import { DEFAULT_TIMEOUT_MS, postXml, signedRequestXml, type WechatDeps } from './call';
import { WechatError } from './errors';

export type BillType = 'ALL' | 'SUCCESS' | 'REFUND' | 'RECHARGE_REFUND';

export type BillResult = { readonly kind: 'BILL'; readonly text: string } | { readonly kind: 'NO_BILL' };

const MAX_BILL_BYTES = 32 * 1024 * 1024;

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** `billDate` is yyyyMMdd (Beijing). "20002 No Bill Exist" is a normal answer, not an error. */
export async function downloadBill(deps: WechatDeps, billDate: string, billType: BillType, signType: SignType, gzip = false): Promise<BillResult> {
  if (!/^\d{8}$/.test(billDate)) throw new Error('bill_date must be yyyyMMdd');
  const xml = await signedRequestXml(deps.config, { bill_date: billDate, bill_type: billType, tar_type: gzip ? 'GZIP' : undefined }, signType);
  const res = await postXml(deps.transports.api, deps.config.payBaseUrl + '/pay/downloadbill', xml, deps.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  if (res.status >= 500) throw new WechatError('NETWORK');
  if (res.status !== 200 || res.bytes.byteLength > MAX_BILL_BYTES) throw new WechatError('PROTOCOL');
  const isGzip = res.bytes[0] === 0x1f && res.bytes[1] === 0x8b;
  let bytes: Uint8Array = res.bytes;
  if (isGzip) {
    try {
      bytes = await gunzip(res.bytes);
    } catch {
      throw new WechatError('PROTOCOL');
    }
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new WechatError('PROTOCOL');
  }
  if (text.trimStart().startsWith('<xml')) {
    let err: Record<string, string>;
    try {
      err = parseXml(text.trim());
    } catch {
      throw new WechatError('PROTOCOL');
    }
    if (err.error_code === '20002' || /no bill exist/i.test(err.return_msg ?? '')) return { kind: 'NO_BILL' };
    throw new WechatError('RETURN_FAIL', err.error_code?.slice(0, 16));
  }
  return { kind: 'BILL', text };
}
