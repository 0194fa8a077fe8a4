// reconciliation: what the other folders use of it (docs/ARCHITECTURE.md §1, feature boundaries).
export { BILL_DATE, beijingDate, checkBillDate, oldestBillDate } from './dates';
export { dueRuns, getRun, listRuns, type RunRow } from './reconciliation-repo';
export {
  completedView,
  dailyReconciliation,
  getReport,
  kickOf,
  listReports,
  readItemCursor,
  reportView,
  requestReconciliation,
  type ReportPage,
  type ReportView,
} from './request';
export { ReconciliationCompletedSchema } from './schemas';
