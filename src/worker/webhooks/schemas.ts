// The events API's zod schemas: validation for webhooks/routes.ts and the source of /openapi.json.
import { z } from 'zod';
import { EVENT_TYPES } from '../outbox';
import { OrderSchema } from '../orders';
import { ReconciliationCompletedSchema } from '../reconciliation';
import { RefundSchema } from '../refunds';
import { limitParam } from '../platform/paging';
import { pathParam } from '../platform/validation';

export const EVENT_ID = /^evt_[A-Za-z0-9]{24}$/;

export const ListEventsQuery = z.strictObject({
  type: z.enum(EVENT_TYPES).optional().meta({ description: 'Only events of this type.' }),
  after: z
    .string()
    .regex(EVENT_ID, { error: 'must be an event id (evt_…)' })
    .optional()
    .meta({ description: 'Only events committed after this one (the last id of the previous page, or the last event you processed).' }),
  limit: limitParam('Page size, 1–100 (default 20).'),
});

/** The path's event id; a malformed one is the 404 an unknown event gets. */
export const EventIdParams = pathParam('id', EVENT_ID, 'EVENT_NOT_FOUND', 'no such event');

const DeliverySchema = z.object({
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.int(),
  next_attempt_at: z.string().nullable().meta({ description: 'When the next attempt is due (pending only).' }),
  delivered_at: z.string().nullable(),
  failed_at: z.string().nullable(),
});

const EventSchema = z
  .object({
    id: z.string().meta({ description: 'evt_…: the webhook-id header, the same on every attempt. Deduplicate on it.' }),
    type: z.enum(EVENT_TYPES),
    created_at: z.string(),
    data: z
      .object({
        order: OrderSchema.nullable().optional().meta({
          description:
            'The order as the change left it (the GET /v1/orders view); null for an anomaly about an unknown order. Absent from reconciliation.completed (about a day, not an order).',
        }),
        anomaly: z.object({ kind: z.string(), detail: z.record(z.string(), z.unknown()) }).optional(),
        refund: RefundSchema.optional().meta({
          description: 'refund.succeeded / refund.failed: the refund as the change left it (the GET /v1/refunds view).',
        }),
        reconciliation: ReconciliationCompletedSchema.optional().meta({
          description:
            'reconciliation.completed (once per run of a bill date, at BALANCED, DISCREPANCIES, NO_BILL or ERROR): the GET /v1/reconciliations/:bill_date view as the run’s final batch left it, without items but with their counts; read the items with that GET.',
        }),
      })
      .catchall(z.unknown()),
    delivery: DeliverySchema,
  })
  .meta({ id: 'Event', description: 'The webhook body is this object without `delivery`.' });

const AttemptSchema = z.object({
  attempted_at: z.string(),
  webhook_timestamp: z.int(),
  trigger: z.enum(['QUEUE', 'REDELIVER']),
  http_status: z.int().nullable().meta({ description: 'null: no answer (error says why).' }),
  error: z.enum(['TIMEOUT', 'NETWORK', 'NOT_2XX']).nullable(),
  latency_ms: z.int(),
  response_excerpt: z.string().meta({ description: 'The first 1 KiB of the answer of a failed attempt; empty for a 2xx (not kept) or no answer.' }),
});

export const EventDetailSchema = EventSchema.extend({ attempts: z.array(AttemptSchema) }).meta({ id: 'EventDetail' });
export const OrderEventsSchema = z.object({ data: z.array(EventDetailSchema) }).meta({ id: 'OrderEvents' });
export const EventListSchema = z.object({ data: z.array(EventSchema), has_more: z.boolean() }).meta({ id: 'EventList' });
export const RedeliverSchema = z.object({ id: z.string(), delivery: z.object({ status: z.literal('pending') }) }).meta({ id: 'RedeliverAccepted' });
