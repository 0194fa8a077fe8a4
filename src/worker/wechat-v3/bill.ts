/**
 * 申请交易账单 + 下载账单 over API v3 (docs/wechatpay-v3.md §6.6): the verified answer names a
 * download_url (fetched at once with its own signed GET: it lives 30 s to 5 min) and the SHA-1 of the
 * uncompressed bill. The file itself is not signed: the hash is its integrity check, so the inflated
 * bill is held as bytes until the hash matches (case-insensitive) and only then streamed as text to
 * the same line reader the v2 bill feeds (BillStreamResult). A day without a bill
 * (NO_STATEMENT_EXIST) is NO_BILL, a normal answer.
 */
import { bytesToHex, concatBytes } from '../../core';
import { ChannelError, type BillStreamResult, type BillType } from '../channel';
import { callV3, str } from './call';
import { errorCodeOf } from './errors';
import { sendV3, v3Url, type V3Deps } from './request';

/** A 100,000-row bill is about 3 MB gzipped; the same bounds as v2's downloadbill. */
const MAX_BILL_BYTES = 32 * 1024 * 1024;
/** Inflated, the bill is held whole until its hash is checked: bounded, well inside a Worker's memory. */
const MAX_INFLATED_BYTES = 96 * 1024 * 1024;
const BILL_TIMEOUT_MS = 30_000;
const V3_BILL_TYPES: ReadonlySet<BillType> = new Set(['ALL', 'SUCCESS', 'REFUND']);

async function inflate(gzip: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const reader = new Blob([gzip]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_INFLATED_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new ChannelError('PROTOCOL');
    }
    parts.push(value);
  }
  return concatBytes(parts);
}

/** `billDate` is yyyyMMdd (Beijing), as the channel names days. */
export async function fetchBillV3(deps: V3Deps, billDate: string, billType: BillType): Promise<BillStreamResult> {
  if (!/^\d{8}$/.test(billDate)) throw new Error('bill_date must be yyyyMMdd');
  if (!V3_BILL_TYPES.has(billType)) throw new Error(`API v3 has no ${billType} trade bill`);
  const date = `${billDate.slice(0, 4)}-${billDate.slice(4, 6)}-${billDate.slice(6, 8)}`;
  let answer: Record<string, unknown> | null;
  try {
    answer = await callV3(deps, { method: 'GET', url: `/v3/bill/tradebill?bill_date=${date}&bill_type=${billType}&tar_type=GZIP`, subject: 'BILL' });
  } catch (e) {
    // 400 NO_STATEMENT_EXIST "账单文件不存在": nothing happened that day. Any other failure: try again later.
    if (e instanceof ChannelError && e.errCode?.replace(/_/g, '').toUpperCase() === 'NOSTATEMENTEXIST') return { kind: 'NO_BILL' };
    throw e;
  }
  const hash = str(answer, 'hash_value') ?? '';
  const downloadUrl = str(answer, 'download_url') ?? '';
  if (str(answer, 'hash_type') !== 'SHA1' || !/^[0-9A-Fa-f]{40}$/.test(hash)) throw new ChannelError('PROTOCOL');
  // Only WeChat's own host (the simulator's, in sandbox mode): the signed GET goes nowhere else.
  let url: URL;
  try {
    url = new URL(downloadUrl);
  } catch {
    throw new ChannelError('PROTOCOL');
  }
  const base = v3Url(deps, '/');
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname) || url.username || url.password) throw new ChannelError('PROTOCOL');

  const file = await sendV3(
    deps,
    { method: 'GET', url: url.toString() },
    { maxBytes: MAX_BILL_BYTES, timeoutMs: Math.max(deps.timeoutMs ?? 0, BILL_TIMEOUT_MS) },
  );
  if (file.status < 200 || file.status >= 300) {
    const code = errorCodeOf(file.body);
    throw new ChannelError(file.status >= 500 ? 'NETWORK' : 'PROTOCOL', code ?? `HTTP_${file.status}`);
  }
  const gz = new Uint8Array(file.body);
  const isGzip = gz[0] === 0x1f && gz[1] === 0x8b;
  let bill: Uint8Array<ArrayBuffer>;
  try {
    bill = isGzip ? await inflate(gz) : gz;
  } catch (e) {
    throw e instanceof ChannelError ? e : new ChannelError('PROTOCOL');
  }
  const digest = bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-1', bill)));
  if (digest !== hash.toLowerCase()) throw new ChannelError('SIGN_INVALID', 'BILL_HASH_MISMATCH');
  const text = new Blob([bill]).stream().pipeThrough(new TextDecoderStream('utf-8', { fatal: true }));
  return { kind: 'BILL', chunks: text as unknown as AsyncIterable<string> };
}
