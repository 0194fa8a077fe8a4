-- Refunds (issue 10). One row per out_refund_no (WeChat: unique per merchant, one number = one refund).
-- Forward-only: never edit this file once applied.
--
-- The cap is held on the order row: refund_reserved_fee is the sum of the order's refunds in
-- SUBMITTING, PROCESSING, SUCCESS or CHANGE (money that has left or may leave), refunded_fee the sum
-- of its SUCCESS refunds. Both change only through the OrderGate, in the same D1 batch as the refund
-- row they describe, and the CHECKs below make an over-refund a constraint error, whatever the code.
CREATE TABLE refunds (
  out_refund_no     TEXT PRIMARY KEY CHECK (length(out_refund_no) BETWEEN 1 AND 64),
  out_trade_no      TEXT NOT NULL REFERENCES orders (out_trade_no),
  refund_fee        INTEGER NOT NULL CHECK (refund_fee > 0),
  total_fee         INTEGER NOT NULL CHECK (total_fee > 0 AND refund_fee <= total_fee),
  reason            TEXT,                       -- sent as refund_desc
  status            TEXT NOT NULL CHECK (status IN ('SUBMITTING','PROCESSING','SUCCESS','CHANGE','REFUNDCLOSE','FAILED')),
  refund_id         TEXT UNIQUE,                -- WeChat's, once known (API answer, notify or refundquery)
  failure_reason    TEXT,                       -- WeChat's err_code for FAILED, the final status otherwise
  request_hash      TEXT NOT NULL,              -- SHA-256 of the create request: same body → same refund, else 409
  attempts          INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),  -- refund calls sent (same out_refund_no every time)
  last_attempt_at   TEXT,                       -- when the last refund call started
  last_synced_at    TEXT,                       -- last refundquery
  created_at        TEXT NOT NULL,
  updated_at        TEXT NOT NULL,
  succeeded_at      TEXT,
  CHECK ((status = 'SUCCESS') = (succeeded_at IS NOT NULL))
);
CREATE INDEX refunds_order ON refunds (out_trade_no, created_at);
-- The lifecycle sweep (advanceStuckRefunds) reads only the unfinished ones.
CREATE INDEX refunds_open ON refunds (status, updated_at) WHERE status IN ('SUBMITTING','PROCESSING');

ALTER TABLE orders ADD COLUMN refund_reserved_fee INTEGER NOT NULL DEFAULT 0
  CHECK (refund_reserved_fee >= 0 AND refund_reserved_fee <= total_fee);
ALTER TABLE orders ADD COLUMN refunded_fee INTEGER NOT NULL DEFAULT 0
  CHECK (refunded_fee >= 0 AND refunded_fee <= refund_reserved_fee);
-- Bumped by every refund write: the OrderGate's compare-and-set token for a refund batch, so a batch
-- built from a stale read (a briefly coexisting DO instance) writes nothing.
ALTER TABLE orders ADD COLUMN refund_version INTEGER NOT NULL DEFAULT 0;
