// webhooks: what the other folders use of it (docs/ARCHITECTURE.md §1, feature boundaries).
export { eventDetail, redeliverEvent } from './api';
export { deliverEvent, type WebhookDeps, type WebhookTransport } from './deliver';
export { failExpiredEvents, markFailed, overdueEvents, rearm } from './delivery-repo';
export { ATTEMPT_WITH_EVENT, attemptOf, type AttemptRow, type EventRow, type EventStatus, type EventType } from './events-repo';
export { RETRY_WINDOW_MS } from './schedule';
