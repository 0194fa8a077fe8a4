-- A refund of an archived order is still found by its own number (docs/scaling.md §6): GET
-- /v1/refunds/:out_refund_no reads its order's member, and the number is never reserved again for
-- another order (WeChat knows it). One row per refund of an order in a whole-order part, written with
-- the part's record; a history part keeps its refunds in D1 and writes none.
CREATE TABLE archive_refunds (
  out_refund_no TEXT PRIMARY KEY,
  out_trade_no  TEXT NOT NULL
) WITHOUT ROWID;
