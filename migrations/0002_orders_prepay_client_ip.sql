-- The spbill_create_ip sent with an order's first unifiedorder. A retry or a prepay refresh must
-- repeat unifiedorder with identical parameters (订单重入时,要求参数值与原请求一致), even when the
-- buyer's address has changed since, so the first one is pinned here.
ALTER TABLE orders ADD COLUMN prepay_client_ip TEXT;
