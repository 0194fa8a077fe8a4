/**
 * The simulator's XML wire: checks a merchant request the way WeChat Pay v2 does, in WeChat's order
 * (method, body, XML, appid/mch_id, signature), and turns an Outcome into the two-level reply —
 * return_code=FAIL unsigned, otherwise signed with the request's own sign_type.
 */
import { buildXml, nonceStr, parseXml, signParams, SIGN_TYPES, verifyParams, type SignType } from '../core';
import { returnFail, type Outcome } from './outcome';
import { appKindOf, type AppKind, type SimMerchant } from './settings';
import type { VerifiedRequest } from './trade';

/** The request body cap: WeChat's messages are small; a larger body is refused before parsing. */
const MAX_BODY_BYTES = 64 * 1024;

/** A verified v2 request: always signed with a v2 sign type. */
export type V2Request = VerifiedRequest & { signType: SignType };

type ReadResult = { ok: true; req: V2Request; appKind: AppKind } | { ok: false; outcome: Outcome; fields?: Record<string, string> };

/** Unsigned fields readable before the signature is checked: only used to file the call record. */
export async function readRequest(request: Request, m: SimMerchant): Promise<ReadResult> {
  if (request.method !== 'POST') return { ok: false, outcome: returnFail('请使用post方法') };
  const body = await request.text();
  if (body.trim() === '') return { ok: false, outcome: returnFail('post数据为空') };
  let fields: Record<string, string>;
  try {
    fields = parseXml(body, { maxBytes: MAX_BODY_BYTES });
  } catch {
    return { ok: false, outcome: returnFail('XML格式错误') };
  }
  const fail = (msg: string) => ({ ok: false as const, outcome: returnFail(msg), fields: { ...fields } });
  for (const name of ['appid', 'mch_id', 'nonce_str', 'sign'] as const) if (!fields[name]) return fail(`缺少参数${name}`);
  // Any application bound to mch_id: the 公众号, the mini-program or the mobile app.
  const appKind = appKindOf(m, fields.appid);
  if (!appKind) return fail('appid不存在');
  if (fields.mch_id !== m.mchId) return fail('商户号mch_id与appid不匹配');
  if (fields.nonce_str!.length > 32) return fail('nonce_str参数长度有误');
  // A request is signed MD5 unless it says otherwise; an unknown sign_type cannot verify.
  const declared = fields.sign_type;
  const signType: SignType | undefined = declared === undefined ? 'MD5' : SIGN_TYPES.find((t) => t === declared);
  if (!signType || !(await verifyParams(fields, m.key, signType))) return fail('签名错误');
  // A plain copy: the parser's null-prototype map cannot cross the Durable Object RPC boundary.
  return { ok: true, req: { fields: { ...fields }, signType }, appKind };
}

/**
 * Serialises an Outcome: return_code=FAIL unsigned; otherwise appid (the request's, unless the outcome
 * names the order's own), mch_id, nonce_str, sign, result_code.
 */
export async function replyXml(outcome: Outcome, m: SimMerchant, signType: SignType, appId = m.appId): Promise<string> {
  if (outcome.kind === 'return_fail') return buildXml({ return_code: 'FAIL', return_msg: outcome.return_msg });
  const fields: Record<string, string> = {
    return_code: 'SUCCESS',
    return_msg: 'OK',
    appid: appId,
    mch_id: m.mchId,
    nonce_str: nonceStr(16),
    ...(outcome.kind === 'ok'
      ? { result_code: 'SUCCESS', ...outcome.fields }
      : { result_code: 'FAIL', err_code: outcome.err_code, err_code_des: outcome.err_code_des, ...outcome.fields }),
  };
  fields.sign = await signParams(fields, m.key, signType);
  return buildXml(fields);
}

export function xmlResponse(xml: string, status = 200): Response {
  return new Response(xml, { status, headers: { 'Content-Type': 'text/xml; charset=UTF-8' } });
}
