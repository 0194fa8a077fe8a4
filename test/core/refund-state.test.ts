// The refund state machine (issue 10): every (row status, reported status) pair, written out.
import { describe, expect, it } from 'vitest';
import { REFUND_STATUSES, refundMove, type RefundMove, type RefundState } from '../../src/core/refund-state';

const S = REFUND_STATUSES;

/** row status → reported status → move. */
const SPEC: Record<RefundState, Record<RefundState, RefundMove>> = {
  SUBMITTING: { SUBMITTING: 'UNCHANGED', PROCESSING: 'APPLY', SUCCESS: 'APPLY', CHANGE: 'APPLY', REFUNDCLOSE: 'APPLY', FAILED: 'APPLY' },
  PROCESSING: { SUBMITTING: 'UNCHANGED', PROCESSING: 'UNCHANGED', SUCCESS: 'APPLY', CHANGE: 'APPLY', REFUNDCLOSE: 'APPLY', FAILED: 'CONFLICT' },
  SUCCESS: { SUBMITTING: 'UNCHANGED', PROCESSING: 'UNCHANGED', SUCCESS: 'UNCHANGED', CHANGE: 'CONFLICT', REFUNDCLOSE: 'CONFLICT', FAILED: 'CONFLICT' },
  CHANGE: { SUBMITTING: 'UNCHANGED', PROCESSING: 'UNCHANGED', SUCCESS: 'CONFLICT', CHANGE: 'UNCHANGED', REFUNDCLOSE: 'CONFLICT', FAILED: 'CONFLICT' },
  REFUNDCLOSE: { SUBMITTING: 'UNCHANGED', PROCESSING: 'UNCHANGED', SUCCESS: 'CONFLICT', CHANGE: 'CONFLICT', REFUNDCLOSE: 'UNCHANGED', FAILED: 'CONFLICT' },
  FAILED: { SUBMITTING: 'UNCHANGED', PROCESSING: 'CONFLICT', SUCCESS: 'CONFLICT', CHANGE: 'CONFLICT', REFUNDCLOSE: 'CONFLICT', FAILED: 'UNCHANGED' },
};

describe('refund state machine', () => {
  it.each(S.flatMap((from) => S.map((to) => [from, to] as const)))('%s reported as %s', (from, to) => {
    expect(refundMove(from, to)).toBe(SPEC[from][to]);
  });

  it('never moves a final refund back to an open status', () => {
    for (const from of ['SUCCESS', 'CHANGE', 'REFUNDCLOSE', 'FAILED'] as const) {
      for (const to of ['SUBMITTING', 'PROCESSING'] as const) expect(refundMove(from, to)).not.toBe('APPLY');
    }
  });
});
