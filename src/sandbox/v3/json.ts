/**
 * Reading API v3 JSON bodies strictly (docs/wechatpay-v3.md §1): UTF-8 with 1–3-byte characters only, one
 * JSON object, fields of the declared JSON type, no `null` (omit the key instead). A breach is a
 * PARAM_ERROR naming the field, as WeChat's `detail` does.
 */
import { v3Error, type V3Error } from './errors';

export type Json = Record<string, unknown>;

/** WeChat's bodies are small; a larger one is refused before parsing. */
const MAX_BODY_BYTES = 64 * 1024;
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const paramError = (field: string, issue: string): V3Error =>
  v3Error(400, 'PARAM_ERROR', `${issue}：${field}`, { field, issue, location: field.startsWith('query.') ? 'query' : 'body' });

/** The body text exactly as received (a BOM kept: it is signed too), or why it is not UTF-8 text. */
export function bodyText(bytes: ArrayBuffer): { ok: true; text: string } | { ok: false; error: V3Error } {
  if (bytes.byteLength > MAX_BODY_BYTES) return { ok: false, error: v3Error(400, 'PARAM_ERROR', '请求体过大') };
  try {
    return { ok: true, text: STRICT_UTF8.decode(bytes) };
  } catch {
    return { ok: false, error: v3Error(400, 'PARAM_ERROR', '请求体不是有效的UTF-8编码') };
  }
}

/** One JSON object, with no 4-byte UTF-8 character (emoji) anywhere. */
export function parseObject(text: string): { ok: true; body: Json } | { ok: false; error: V3Error } {
  if (/[\u{10000}-\u{10FFFF}]/u.test(text)) return { ok: false, error: v3Error(400, 'PARAM_ERROR', '请求参数包含不支持的字符（UTF-8四字节字符）') };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, error: v3Error(400, 'PARAM_ERROR', '请求体不是合法的JSON') };
  }
  return isObject(v) ? { ok: true, body: v } : { ok: false, error: v3Error(400, 'PARAM_ERROR', '请求体必须是JSON对象') };
}

/** Thrown by the readers below; the routes answer it as its V3Error. */
export class FieldError extends Error {
  constructor(readonly error: V3Error) {
    super(error.message);
  }
}

type Kind = 'string' | 'integer' | 'boolean' | 'object';

const KIND_OK: Readonly<Record<Kind, (v: unknown) => boolean>> = {
  string: (v) => typeof v === 'string',
  integer: (v) => typeof v === 'number' && Number.isSafeInteger(v),
  boolean: (v) => typeof v === 'boolean',
  object: (v) => isObject(v),
};

function read(o: Json, path: string, kind: Kind, required: boolean): unknown {
  const name = path.slice(path.lastIndexOf('.') + 1);
  const v = o[name];
  if (v === undefined) {
    if (required) throw new FieldError(paramError(path, '缺少参数'));
    return undefined;
  }
  if (!KIND_OK[kind](v)) throw new FieldError(paramError(path, v === null ? '参数不能为null' : `参数类型错误，应为${kind}`));
  return v;
}

/** `path` names the field for the error (`amount.total`); its last segment is the key in `o`. */
export const str = (o: Json, path: string, required = false) => read(o, path, 'string', required) as string | undefined;
export const int = (o: Json, path: string, required = false) => read(o, path, 'integer', required) as number | undefined;
export const bool = (o: Json, path: string, required = false) => read(o, path, 'boolean', required) as boolean | undefined;
export const obj = (o: Json, path: string, required = false) => read(o, path, 'object', required) as Json | undefined;

/** JSON with object keys sorted at every level: equal for equal parameters whatever their order (§1). */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObject(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}
