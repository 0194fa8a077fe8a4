// The reconciliation API's shapes (zod): request validation and the OpenAPI document from one source.
import { z } from 'zod';
import { ITEM_KINDS } from './reconciliation-repo';
import { cursorParam, limitParam } from '../platform/paging';
import { pathParam } from '../platform/validation';

const BillDate = z.string().meta({ description: 'A Beijing date, yyyyMMdd (e.g. 20260412).', example: '20260412' });

export const ReconciliationBody = z
  .strictObject({
    bill_date: BillDate,
    rerun: z.boolean().optional().meta({ description: 'Replace a finished day’s report with a fresh run. Fixes already applied are never applied again.' }),
  })
  .meta({ id: 'ReconciliationRequest' });

export const ReconciliationListQuery = z.strictObject({
  from: z.string().optional().meta({ description: 'Oldest bill_date (yyyyMMdd, inclusive); default three months back.' }),
  to: z.string().optional().meta({ description: 'Newest bill_date (yyyyMMdd, inclusive); default today (Beijing).' }),
});

export const ReconciliationReportQuery = z.strictObject({
  limit: limitParam('Items per page, 1–100 (default 20).'),
  cursor: cursorParam('next_cursor from the previous page: the items after it.'),
});

/** The path's bill_date; one that is not yyyyMMdd is the 404 a day never reconciled gets. */
export const BillDateParams = pathParam('bill_date', /^[0-9]{8}$/, 'RECONCILIATION_NOT_FOUND', 'no reconciliation for that bill_date');

const Milli = z.object({ millifen: z.number().int().meta({ description: '1/1000 fen, exact (the bill’s 5-decimal yuan).' }), yuan: z.string() }).nullable();

const Side = z
  .object({
    payment_count: z.number().int(),
    paid_fee: z.number().int().meta({ description: 'fen' }),
    refund_count: z.number().int().nullable(),
    refund_fee: z.number().int().nullable().meta({ description: 'fen' }),
    service_charge: Milli,
    net_settlement: Milli,
  })
  .nullable();

const ReconciliationItemSchema = z.object({
  kind: z.enum(ITEM_KINDS),
  resolution: z.enum(['OPEN', 'APPLIED']),
  out_trade_no: z.string().nullable(),
  transaction_id: z.string().nullable(),
  out_refund_no: z.string().nullable(),
  refund_id: z.string().nullable(),
  bill: z.record(z.string(), z.unknown()).nullable(),
  ours: z.record(z.string(), z.unknown()).nullable(),
  note: z.string().nullable(),
});

const ItemKindSchema = z.enum(ITEM_KINDS);

const ItemCountsSchema = z
  .object({
    total: z.number().int(),
    open: z.number().int(),
    applied: z.number().int(),
    by_kind: z.record(ItemKindSchema, z.object({ open: z.number().int(), applied: z.number().int() })).meta({ description: 'Every kind, zeros included.' }),
  })
  .meta({ description: 'The report’s items counted, every page’s: this run’s, plus fixes APPLIED by any run of the day.' });

export const ReconciliationSchema = z
  .object({
    bill_date: z.string(),
    status: z.enum(['PENDING', 'RUNNING', 'BALANCED', 'DISCREPANCIES', 'NO_BILL', 'ERROR']),
    generation: z.number().int(),
    requested_at: z.string(),
    finished_at: z.string().nullable(),
    next_attempt_at: z.string().nullable().meta({ description: 'PENDING: when the bill is fetched (again).' }),
    error: z.string().nullable(),
    totals: z.object({ bill: Side, ours: Side.meta({ description: 'Our books; we keep no fee schedule, so our net uses the bill’s service charge.' }) }),
    items: z
      .array(ReconciliationItemSchema)
      .optional()
      .meta({ description: 'GET of one day (and POST answering 200): one page of the items, by kind then reference; not in the list.' }),
    next_cursor: z.string().nullable().optional().meta({ description: 'With items: pass as cursor for the next page; null on the last page.' }),
    item_counts: ItemCountsSchema.optional().meta({ description: 'GET of one day and the reconciliation.completed event; not in the list.' }),
  })
  .meta({ id: 'Reconciliation' });

/** `data.reconciliation` of a reconciliation.completed webhook: the day's report without its items. */
export const ReconciliationCompletedSchema = ReconciliationSchema.omit({ items: true, next_cursor: true }).extend({ item_counts: ItemCountsSchema });

export const ReconciliationListSchema = z
  .object({ from: z.string(), to: z.string(), reconciliations: z.array(ReconciliationSchema) })
  .meta({ id: 'ReconciliationList' });
