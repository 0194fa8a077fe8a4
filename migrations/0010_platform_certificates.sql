-- API v3 platform certificates (平台证书, docs/wechatpay-v3.md §4.2): the keys WeChat Pay signs answers
-- and notifies with when it does not (only) use its public key. Downloaded from GET /v3/certificates,
-- accepted only when that answer verifies with one of them, kept until they expire (expired rows are
-- deleted when a new list is stored, and never used). A handful of rows at most.
-- Forward-only: never edit this file once applied.
CREATE TABLE platform_certificates (
  serial      TEXT PRIMARY KEY CHECK (length(serial) BETWEEN 1 AND 64), -- upper-case hex, as Wechatpay-Serial names it
  spki        BLOB NOT NULL,                                            -- SubjectPublicKeyInfo DER (importKey 'spki')
  not_before  TEXT NOT NULL,                                            -- UTC ISO-8601
  not_after   TEXT NOT NULL,                                            -- UTC ISO-8601
  fetched_at  TEXT NOT NULL                                             -- the last verified list that named it
);
