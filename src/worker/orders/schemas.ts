// The merchant API's zod schemas: validation for the routes and the source of /openapi.json.
import { z } from 'zod';
import { TRADE_TYPES } from '../channel';
import { isPrototypeKey, isWechatText, OPENID, ORDER_STATUSES, OUT_TRADE_NO } from '../../core';
import { cursorParam, limitParam } from '../platform/paging';
import { pathParam } from '../platform/validation';

/** One rule for every text field a merchant sends (core's, next to the XML codec that must carry it). */
const CARRIABLE = { error: 'contains a control character, a noncharacter or a lone surrogate' } as const;

// On top of that, for what a buyer sees on the pay sheet: no private use, no invisible format
// characters (bidi overrides, zero-width spaces, BOM). ZWJ is kept for emoji.
const INVISIBLE_CHARS = /\p{Co}|(?!\u200D)\p{Cf}/u;
const utf8Bytes = (v: string) => new TextEncoder().encode(v).byteLength;

/**
 * Text that reaches unifiedorder: String(n) read as UTF-8 bytes; no outer whitespace (signers
 * disagree on trimming). No zod .max(): it would publish a character maxLength next to a byte limit.
 */
const wechatText = (maxBytes: number) =>
  withTextRules(
    z
      .string()
      .min(1)
      .refine((v) => utf8Bytes(v) <= maxBytes, { error: `must be at most ${maxBytes} UTF-8 bytes` }),
  );

/** The text rules of every field that reaches WeChat, on top of a length rule (also refunds' `reason`). */
export const withTextRules = (s: z.ZodType<string>) =>
  s
    .refine((v) => v === v.trim(), { error: 'must not start or end with whitespace' })
    .refine(isWechatText, CARRIABLE)
    .refine((v) => !INVISIBLE_CHARS.test(v), { error: 'contains invisible or private-use characters' });

/**
 * zod's record drops a `__proto__` key silently (a replay carrying one then hashed like the
 * original): keys that reach prototype machinery are refused on the raw input, before any object
 * is built from it.
 */
const withoutPrototypeKeys = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value, ctx) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const key of Object.keys(value)) {
        if (isPrototypeKey(key)) ctx.addIssue({ code: 'custom', path: [key], message: 'reserved key', input: key });
      }
    }
    return value;
  }, schema);

const METADATA_KEY = /^[A-Za-z0-9_.-]{1,40}$/;

const OrderStatusSchema = z.enum(ORDER_STATUSES);

export const DEFAULT_EXPIRES_IN_MINUTES = 30;

export const CreateOrderBody = z
  .strictObject({
    description: wechatText(127).meta({ description: 'Shown on the pay sheet (unifiedorder `body`), 1–127 UTF-8 bytes (a CJK character is 3 bytes).' }),
    total_fee: z.int().min(1).meta({ description: 'Amount in integer fen (1999 = ¥19.99), at most MAX_TOTAL_FEE.' }),
    out_trade_no: z
      .string()
      .regex(OUT_TRADE_NO)
      .optional()
      .meta({ description: 'Your order number, 6–32 of [A-Za-z0-9_-|*]; the idempotency key. Generated when absent.' }),
    attach: wechatText(127).optional().meta({ description: 'Returned unchanged by WeChat, 1–127 UTF-8 bytes (a CJK character is 3 bytes).' }),
    openid: z
      .string()
      .regex(OPENID)
      .optional()
      .meta({ description: "The buyer's openid under this appid, if your server already knows it: only this buyer can pay." }),
    expires_in_minutes: z
      .int()
      .min(5)
      .max(1440)
      .optional()
      .meta({ description: `Minutes until the order expires (default ${DEFAULT_EXPIRES_IN_MINUTES}).` }),
    metadata: withoutPrototypeKeys(
      z
        .record(z.string().regex(METADATA_KEY), z.string().max(500).refine(isWechatText, CARRIABLE))
        .refine((m) => Object.keys(m).length <= 20, { error: 'at most 20 keys' }),
    )
      .optional()
      .meta({
        description: 'Opaque string key/values, stored and returned as given (at most 20 keys; not __proto__, constructor or prototype).',
        // The document generator drops a record's key schema: the same pattern, stated from the same constant.
        propertyNames: { type: 'string', pattern: METADATA_KEY.source },
      }),
  })
  .meta({ id: 'CreateOrderRequest' });
export type CreateOrderBody = z.infer<typeof CreateOrderBody>;

export const ListOrdersQuery = z.strictObject({
  status: OrderStatusSchema.optional(),
  created_from: z.iso.datetime().optional().meta({ description: 'Inclusive lower bound on created_at (ISO-8601 UTC).' }),
  created_to: z.iso.datetime().optional().meta({ description: 'Exclusive upper bound on created_at (ISO-8601 UTC).' }),
  cursor: cursorParam('next_cursor from the previous page.'),
  limit: limitParam('Page size, 1–100 (default 20).'),
});

/** The path's out_trade_no; a malformed one is 400 INVALID_OUT_TRADE_NO. */
export const OutTradeNoParams = pathParam('out_trade_no', OUT_TRADE_NO, 'INVALID_OUT_TRADE_NO', 'out_trade_no must be 6–32 of [A-Za-z0-9_-|*]');

export const GetOrderQuery = z.strictObject({
  sync: z.enum(['true', 'false']).optional().meta({ description: 'true: ask WeChat now (orderquery) if the order is unpaid; at most once per 5 s.' }),
});

export const JsapiBody = z
  .strictObject({
    checkout_token: z.string().max(128).optional().meta({ description: 'The `t` of checkout_url, when not sent as X-Checkout-Token.' }),
  })
  .meta({ id: 'JsapiRequest' });

export const OrderSchema = z
  .object({
    out_trade_no: z.string(),
    status: OrderStatusSchema,
    description: z.string(),
    total_fee: z.int(),
    fee_type: z.string(),
    attach: z.string().nullable(),
    metadata: z.record(z.string(), z.string()).nullable(),
    openid: z.string().nullable().meta({ description: 'The openid you named at create, else null.' }),
    payer_openid: z.string().nullable().meta({ description: 'The buyer the prepay was issued for and who paid; null before the first jsapi call.' }),
    payment_no: z.string().nullable().meta({ description: 'The payment attempt that paid the order (the number WeChat and its bill know); null until paid.' }),
    trade_type: z.enum(TRADE_TYPES).nullable().meta({ description: 'How the paying attempt was paid; null until paid.' }),
    transaction_id: z.string().nullable(),
    cash_fee: z.int().nullable(),
    bank_type: z.string().nullable(),
    time_end: z.string().nullable(),
    paid_at: z.string().nullable(),
    closed_at: z.string().nullable(),
    refunded_fee: z.int().meta({ description: 'Σ refund_fee of the SUCCESS refunds (fen).' }),
    refundable_fee: z.int().meta({
      description:
        'What may still be refunded: total_fee minus SUBMITTING, PROCESSING, SUCCESS and CHANGE refunds; 0 unless the order is PAID, PAID_AFTER_CLOSE or PARTIALLY_REFUNDED.',
    }),
    expires_at: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    checkout_url: z.string(),
    archived: z.literal(true).optional().meta({
      description: 'Present when the order is past the hot window (HOT_DAYS) and was read from the archive: as it was when it was archived.',
    }),
  })
  .meta({ id: 'Order' });

export const OrderListSchema = z.object({ data: z.array(OrderSchema), next_cursor: z.string().nullable() }).meta({ id: 'OrderList' });

export const JsapiParamsSchema = z
  .object({
    appId: z.string(),
    timeStamp: z.string(),
    nonceStr: z.string(),
    package: z.string(),
    signType: z.enum(['MD5', 'HMAC-SHA256', 'RSA']).meta({ description: "API v2: the order's sign type; API v3: RSA." }),
    paySign: z.string(),
  })
  .meta({ id: 'JsapiParams', description: 'Pass as-is to WeixinJSBridge.invoke("getBrandWCPayRequest", …) (or, without appId, to wx.requestPayment).' });

/** An IPv4 or IPv6 literal (spbill_create_ip, String(64)). */
const IP = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:.]{2,45})$/;

export const CreatePaymentBody = z
  .strictObject({
    trade_type: z.enum(TRADE_TYPES).meta({ description: 'JSAPI (in WeChat), MINIPROGRAM, NATIVE (QR code), MWEB (H5 outside WeChat) or APP.' }),
    openid: z
      .string()
      .regex(OPENID, { error: 'must be an openid' })
      .optional()
      .meta({ description: "JSAPI: the buyer under the 公众号 appid (default: the order's openid); MINIPROGRAM: under the mini-program's appid (required)." }),
    client_ip: z
      .string()
      .regex(IP, { error: 'must be an IPv4 or IPv6 address' })
      .optional()
      .meta({ description: "The buyer's IP as your server saw it. Required for MWEB: WeChat checks it when the buyer opens mweb_url." }),
  })
  .meta({ id: 'CreatePaymentRequest' });

const AppPayParamsSchema = z
  .object({
    appid: z.string(),
    partnerid: z.string(),
    prepayid: z.string(),
    package: z.literal('Sign=WXPay'),
    noncestr: z.string(),
    timestamp: z.string(),
    sign: z.string(),
  })
  .meta({ id: 'AppPayParams', description: "The OpenSDK PayReq for the merchant's app, with its second signature." });

export const PaymentSchema = z
  .object({
    payment_no: z.string().meta({ description: "The attempt's number: the out_trade_no WeChat knows it by (the order's own for its first attempt)." }),
    out_trade_no: z.string(),
    trade_type: z.enum(TRADE_TYPES),
    status: z.enum(['PENDING', 'PAID', 'CLOSED', 'REFUNDING', 'REFUNDED']).meta({
      description:
        "PENDING payable; PAID the order's payment; CLOSED; REFUNDING/REFUNDED: paid after another attempt paid the order, given back automatically.",
    }),
    payer_openid: z.string().nullable(),
    transaction_id: z.string().nullable(),
    expires_at: z.string(),
    paid_at: z.string().nullable(),
    created_at: z.string(),
    pay: z
      .union([JsapiParamsSchema, z.object({ code_url: z.string() }), z.object({ mweb_url: z.string() }), AppPayParamsSchema])
      .nullable()
      .meta({
        description:
          'PENDING only: JSAPI/MINIPROGRAM the getBrandWCPayRequest / wx.requestPayment params, NATIVE {code_url} (show as a QR), MWEB {mweb_url} (open it; 5 min), APP the PayReq.',
      }),
  })
  .meta({ id: 'Payment' });

export const PaymentListSchema = z.object({ data: z.array(PaymentSchema) }).meta({ id: 'PaymentList' });

export const MiniProgramSessionBody = z
  .strictObject({
    js_code: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,128}$/, { error: 'must be the code of wx.login()' })
      .meta({ description: 'The code of wx.login() in the mini-program (5 minutes, single use).' }),
  })
  .meta({ id: 'MiniProgramSessionRequest' });

export const MiniProgramSessionSchema = z
  .object({ openid: z.string().meta({ description: "The buyer's openid under the mini-program's appid: pass it to a MINIPROGRAM payment." }) })
  .meta({ id: 'MiniProgramSession' });
