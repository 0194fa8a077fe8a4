// orders: what the other folders use of it (docs/ARCHITECTURE.md §1, feature boundaries).
export { closeAttempt, closeOrderFlow } from './close';
export { attemptOfStored, attemptsToClose, getAttempt, repairPaidAttempts, listAttempts, orderOfPaymentNo, type PaymentAttemptRow } from './attempts-repo';
export { ORDER_COLUMNS, ORDER_TIMES, tradeTypeSql, getOrder, listOrders, orderOfStored, type ListFilter, type OrderRow, type OrderStatus } from './orders-repo';
export { commitDuplicate, commitPayment, duplicateRefundNo, lateRefundNo, loadPaymentView, moveStatus, readStatus, type PaymentCommit } from './payments-repo';
export { OrderSchema, OutTradeNoParams, withTextRules } from './schemas';
export { PREPAY_LIFETIME_MS, applyQueryResult, syncDue, syncOrder } from './sync';
export { orderView, refundableFee } from './view';
export { createPayment } from './api';
export { archivedOrder, type ArchivedOrderRows } from './archived';
