/** What a simulated merchant API call decided, before the wire layer signs and serialises it. */
export type Outcome =
  /** Protocol level: return_code=FAIL, unsigned (docs/wechatpay-v2.md §2). */
  | { kind: 'return_fail'; return_msg: string }
  /** Business level: result_code=FAIL with a real err_code. */
  | { kind: 'biz_fail'; err_code: string; err_code_des: string; fields?: Record<string, string> }
  | { kind: 'ok'; fields: Record<string, string> };

export const returnFail = (return_msg: string): Outcome => ({ kind: 'return_fail', return_msg });
export const bizFail = (err_code: string, err_code_des: string, fields?: Record<string, string>): Outcome => ({
  kind: 'biz_fail',
  err_code,
  err_code_des,
  fields,
});
export const ok = (fields: Record<string, string>): Outcome => ({ kind: 'ok', fields });

/** Copies the optional fields that are present and non-empty. */
export function pick(src: Record<string, string | undefined>, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = src[n];
    if (v !== undefined && v !== '') out[n] = v;
  }
  return out;
}
