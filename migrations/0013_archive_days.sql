-- Reconciling a day whose orders are archived (docs/scaling.md §6): which archived members have
-- something on a Beijing day's bill, and the archived side's running sums of a reconciliation run.

-- One row per archived order member and Beijing day on which it was paid (an order's or an attempt's
-- time_end) or refunded (a refund's application, created_at): a bill day's archived side is these
-- members, read by ranged GETs (or the whole part when most of it is needed). A member left behind by a
-- later archive of the same order keeps its rows; the reader takes a member only while the order's
-- lookup row still names its part.
CREATE TABLE archive_days (
  day   INTEGER NOT NULL,                       -- yyyymmdd (Beijing)
  part  INTEGER NOT NULL,
  pos   INTEGER NOT NULL,
  len   INTEGER NOT NULL,
  PRIMARY KEY (day, part, pos)
) WITHOUT ROWID;

-- Parts written before this migration: their orders' creation day and the day after (a payment's
-- time_end is on one of them; a refund's day is not known without reading the part).
INSERT OR IGNORE INTO archive_days (day, part, pos, len)
  SELECT day, part, pos, len FROM archive_lookup WHERE kind = 0;
INSERT OR IGNORE INTO archive_days (day, part, pos, len)
  SELECT CAST(strftime('%Y%m%d', date(substr(day, 1, 4) || '-' || substr(day, 5, 2) || '-' || substr(day, 7, 2), '+1 day')) AS INTEGER), part, pos, len
  FROM archive_lookup WHERE kind = 0;

-- A run's archived side, summed step by step (each step's sums ride in its progress CAS, so none is
-- added twice); finishRun adds D1's totals to them.
ALTER TABLE reconciliation_runs ADD COLUMN archived_payment_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reconciliation_runs ADD COLUMN archived_paid_fee INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reconciliation_runs ADD COLUMN archived_refund_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reconciliation_runs ADD COLUMN archived_refund_fee INTEGER NOT NULL DEFAULT 0;
