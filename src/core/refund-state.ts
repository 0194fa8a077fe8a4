/**
 * The refund state machine (issue 10, docs/reliability.md §5): which reported refund status may move a
 * refund row from which status. Forward only: SUBMITTING → PROCESSING → SUCCESS | CHANGE |
 * REFUNDCLOSE, and SUBMITTING → FAILED (a business FAIL: WeChat will not refund). A fact that is
 * behind the row (an API acceptance arriving after the notify) changes nothing; a final status that
 * contradicts another final status is a conflict for a person, never applied.
 */

export const REFUND_STATUSES = ['SUBMITTING', 'PROCESSING', 'SUCCESS', 'CHANGE', 'REFUNDCLOSE', 'FAILED'] as const;
export type RefundState = (typeof REFUND_STATUSES)[number];

export type RefundMove = 'APPLY' | 'UNCHANGED' | 'CONFLICT';

export function refundMove(from: RefundState, reported: RefundState): RefundMove {
  if (from === reported) return 'UNCHANGED';
  if (reported === 'SUBMITTING') return 'UNCHANGED'; // nothing reports "not yet sent"
  if (from === 'SUBMITTING') return 'APPLY';
  if (from === 'PROCESSING') return reported === 'FAILED' ? 'CONFLICT' : 'APPLY';
  if (from === 'FAILED') return 'CONFLICT'; // WeChat said it would not refund; any later claim needs a person
  return reported === 'PROCESSING' ? 'UNCHANGED' : 'CONFLICT';
}
