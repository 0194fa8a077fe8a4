// outbox: what the other folders use of it (docs/ARCHITECTURE.md §1, feature boundaries).
export {
  EVENT_TYPES,
  closeEvents,
  newQueueToken,
  orderAnomalyEvent,
  paymentEvents,
  reconciliationCompletedEvent,
  refOf,
  refundEvent,
  type EventType,
} from './events';
export { outboxStatement } from './outbox-repo';
export { eventPublisher, type WebhookMessage } from './publish';
