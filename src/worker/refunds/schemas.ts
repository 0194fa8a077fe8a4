// The refund API's zod schemas: validation for the routes and the source of /openapi.json.
import { z } from 'zod';
import { OUT_REFUND_NO, REFUND_STATUSES } from '../../core';
import { withTextRules } from '../orders';
import { pathParam } from '../platform/validation';

/** WeChat's refund_desc: at most 80 characters (code points), with the text rules of `description`. */
const REASON_MAX_CHARS = 80;

/** The gateway's automatic refunds are `dup_<payment_no>` and `late_<payment_no>`: a merchant's number never takes those forms. */
const AUTOMATIC_REFUND_PREFIXES = ['dup_', 'late_'];

export const CreateRefundBody = z
  .strictObject({
    refund_fee: z.int().min(1).meta({ description: 'Amount to refund in integer fen (≥ 1), at most the order’s refundable_fee.' }),
    out_refund_no: z
      .string()
      .regex(OUT_REFUND_NO)
      .refine((v) => !AUTOMATIC_REFUND_PREFIXES.some((p) => v.startsWith(p)), {
        error: 'must not start with "dup_" or "late_" (the gateway\'s automatic refunds)',
      })
      .optional()
      .meta({
        description:
          'Your refund number, 1–64 of [A-Za-z0-9_-|*@], not starting with "dup_" or "late_"; the idempotency key, and the number WeChat retries under. Generated when absent.',
      }),
    reason: withTextRules(
      z
        .string()
        .min(1)
        .refine((v) => [...v].length <= REASON_MAX_CHARS, { error: `must be at most ${REASON_MAX_CHARS} characters` }),
    )
      .optional()
      .meta({ description: `Sent to WeChat as refund_desc and shown to the buyer; 1–${REASON_MAX_CHARS} characters, the text rules of description.` }),
  })
  .meta({ id: 'CreateRefundRequest' });
export type CreateRefundBody = z.infer<typeof CreateRefundBody>;

const RefundStatusSchema = z.enum(REFUND_STATUSES).meta({
  description:
    'SUBMITTING: reserved, WeChat has not (verifiably) accepted it yet — retried with the same out_refund_no. PROCESSING: accepted by WeChat. ' +
    'SUCCESS: refunded. CHANGE: 退款异常, the money left but could not reach the buyer; needs a person (the amount stays reserved). ' +
    'REFUNDCLOSE: closed by WeChat, nothing refunded (the amount is refundable again). FAILED: refused by WeChat for certain (failure_reason, e.g. NOTENOUGH); nothing refunded.',
});

export const RefundSchema = z
  .object({
    out_refund_no: z.string(),
    out_trade_no: z.string(),
    payment_no: z.string().meta({ description: 'The payment attempt whose money it returns (the number WeChat knows).' }),
    automatic: z.boolean().meta({
      description:
        'true: filed by the gateway — a duplicate payment’s full refund (outside the order’s refunded_fee), or a payment after close’s (LATE_PAYMENT_POLICY=refund).',
    }),
    refund_id: z.string().nullable().meta({ description: 'WeChat’s refund id, once known.' }),
    refund_fee: z.int(),
    total_fee: z.int(),
    reason: z.string().nullable(),
    status: RefundStatusSchema,
    failure_reason: z.string().nullable().meta({ description: 'FAILED: WeChat’s err_code; CHANGE / REFUNDCLOSE: the status; otherwise null.' }),
    created_at: z.string(),
    succeeded_at: z.string().nullable(),
  })
  .meta({ id: 'Refund' });

export const RefundListSchema = z.object({ data: z.array(RefundSchema) }).meta({ id: 'RefundList' });

export const GetRefundQuery = z.strictObject({});

/** The path's out_refund_no; a malformed one is 400 INVALID_OUT_REFUND_NO. */
export const OutRefundNoParams = pathParam('out_refund_no', OUT_REFUND_NO, 'INVALID_OUT_REFUND_NO', 'out_refund_no must be 1–64 of [A-Za-z0-9_-|*@]');
