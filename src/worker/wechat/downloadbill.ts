/**
 * 下载交易账单. The success answer is the bill text (or gzip) and is NOT signed; an error is XML,
 * whatever its Content-Type, so the body decides (docs/wechatpay-v2.md §15).
 * @see https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=9_6
 */
import { parseXml, type SignType } from '../../core';
import { DEFAULT_TIMEOUT_MS, postXml, signedRequestXml, type WechatDeps } from './call';
import { WechatError } from './errors';
import type { BillStreamResult, BillType } from '../channel';

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
  if (text.trimStart().startsWith('<xml')) return billErrorResult(text);
  return { kind: 'BILL', text };
}

/** An XML error body: 20002 "No Bill Exist" is NO_BILL; anything else is RETURN_FAIL with its error_code. */
function billErrorResult(text: string): { kind: 'NO_BILL' } {
  let err: Record<string, string>;
  try {
    err = parseXml(text.trim());
  } catch {
    throw new WechatError('PROTOCOL');
  }
  if (err.error_code === '20002' || /no bill exist/i.test(err.return_msg ?? '')) return { kind: 'NO_BILL' };
  throw new WechatError('RETURN_FAIL', err.error_code?.slice(0, 16));
}

/** A 100,000-row bill is about 3 MB gzipped: a longer deadline than the 5 s of a call. */
const BILL_TIMEOUT_MS = 30_000;

/**
 * The bill for reconciliation: requested gzipped, kept compressed in memory, and inflated and decoded
 * as a stream (DecompressionStream → TextDecoderStream), so the text never exists whole. A stream
 * error (corrupt gzip, bad UTF-8) surfaces while reading `chunks`.
 */
export async function downloadBillStream(deps: WechatDeps, billDate: string, billType: BillType, signType: SignType): Promise<BillStreamResult> {
  if (!/^\d{8}$/.test(billDate)) throw new Error('bill_date must be yyyyMMdd');
  const xml = await signedRequestXml(deps.config, { bill_date: billDate, bill_type: billType, tar_type: 'GZIP' }, signType);
  const res = await postXml(deps.transports.api, deps.config.payBaseUrl + '/pay/downloadbill', xml, Math.max(deps.timeoutMs ?? 0, BILL_TIMEOUT_MS));
  if (res.status >= 500) throw new WechatError('NETWORK');
  if (res.status !== 200 || res.bytes.byteLength > MAX_BILL_BYTES) throw new WechatError('PROTOCOL');
  const isGzip = res.bytes[0] === 0x1f && res.bytes[1] === 0x8b;
  if (!isGzip) {
    // Errors are plain XML; a plain-text bill (tar_type ignored) is small enough to check whole.
    const head = new TextDecoder().decode(res.bytes.subarray(0, 64));
    if (
      head
        .trimStart()
        .replace(/^\ufeff/, '')
        .startsWith('<')
    ) {
      return billErrorResult(new TextDecoder().decode(res.bytes));
    }
  }
  let stream: ReadableStream<Uint8Array> = new Blob([res.bytes]).stream();
  if (isGzip) stream = stream.pipeThrough(new DecompressionStream('gzip'));
  const text = stream.pipeThrough(new TextDecoderStream('utf-8', { fatal: true }));
  return { kind: 'BILL', chunks: text as unknown as AsyncIterable<string> };
}
