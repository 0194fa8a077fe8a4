// refunds: what the other folders use of it (docs/ARCHITECTURE.md §1, feature boundaries).
export { REFUND_STEP_WORST_CALLS, advanceRefund, dueRefunds, sendAutomaticRefunds } from './advance';
export { createRefund, generateOutRefundNo } from './create';
export { REFUND_ON_BILL, refundTotals, refundsByNo, refundsOfDayPage, type LocalRefundRow } from './refunds-read-repo';
export { MAX_REFUNDS_PER_ORDER, commitRefundResult, commitReservation, getRefund, loadRefundView, refundOfStored, type RefundRow } from './refunds-repo';
export { CreateRefundBody, RefundSchema } from './schemas';
export { refundTimeToIso } from './sync';
export { refundView } from './view';
