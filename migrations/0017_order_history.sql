-- A paid order's history leaves D1 before the order does (docs/scaling.md §6, "History first"): once
-- final and older than HISTORY_DAYS, its payment attempt, ledger, notifies, webhook events and their
-- attempts move to the R2 archive as one verified member; the order row (with its refunds and
-- anomalies) stays hot until HOT_DAYS for the lists, the console and reconciliation.

-- The archive part that holds the order's history; NULL while the history is in D1.
ALTER TABLE orders ADD COLUMN history_part INTEGER;
-- The paying attempt's trade type, kept on the order when the attempt row moves (views show it).
ALTER TABLE orders ADD COLUMN history_trade_type TEXT;

-- 1: a history part (its orders keep their order, refund and anomaly rows in D1); 0: a whole-order part.
ALTER TABLE archive_parts ADD COLUMN history INTEGER NOT NULL DEFAULT 0;

-- The history sweep's own keyset cursor over orders (the archive's is cursor_at/cursor_no).
ALTER TABLE archive_state ADD COLUMN history_at TEXT NOT NULL DEFAULT '';
ALTER TABLE archive_state ADD COLUMN history_no TEXT NOT NULL DEFAULT '';

-- Only orders whose history is still in D1: the sweep skips the moved ones without reading them, and
-- the index holds the last HISTORY_DAYS of orders (and the few not final yet), not the whole window.
CREATE INDEX orders_history_hot ON orders (created_at, out_trade_no) WHERE history_part IS NULL;
