// Platform certificates in D1 (migrations/0010): the verified list from GET /v3/certificates, kept
// with its validity so every isolate (and the cron) shares what one of them fetched.

/** One platform certificate as the key store keeps it. Times are epoch milliseconds. */
export interface PlatformCertificate {
  /** Upper-case hex, leading zero bytes dropped: what Wechatpay-Serial names. */
  readonly serial: string;
  /** SubjectPublicKeyInfo DER, for importKey('spki', …). */
  readonly spki: Uint8Array<ArrayBuffer>;
  readonly notBefore: number;
  readonly notAfter: number;
}

/** A certificate as stored, with when a verified list last named it (epoch ms). */
export interface StoredCertificate extends PlatformCertificate {
  readonly fetchedAt: number;
}

/** Where the key store keeps certificates: D1 in the worker (d1CertificateStore), memory in unit tests. */
export interface CertificateStore {
  load(): Promise<StoredCertificate[]>;
  /** Upserts `certificates` as fetched at `nowMs` and deletes the expired ones, in one batch. */
  save(certificates: readonly PlatformCertificate[], nowMs: number): Promise<void>;
}

interface Row {
  serial: string;
  spki: ArrayBuffer | ArrayLike<number>;
  not_before: string;
  not_after: string;
  fetched_at: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function d1CertificateStore(db: D1Database): CertificateStore {
  return {
    async load() {
      const { results } = await db.prepare('SELECT serial, spki, not_before, not_after, fetched_at FROM platform_certificates').all<Row>();
      return results.map((r) => ({
        serial: r.serial,
        // D1 returns a BLOB as an array of numbers (or an ArrayBuffer, depending on the runtime).
        spki: new Uint8Array(r.spki instanceof ArrayBuffer ? r.spki : Array.from(r.spki)),
        notBefore: Date.parse(r.not_before),
        notAfter: Date.parse(r.not_after),
        fetchedAt: Date.parse(r.fetched_at),
      }));
    },
    async save(certificates, nowMs) {
      const upsert = `INSERT INTO platform_certificates (serial, spki, not_before, not_after, fetched_at) VALUES (?1, ?2, ?3, ?4, ?5)
        ON CONFLICT (serial) DO UPDATE SET spki = excluded.spki, not_before = excluded.not_before, not_after = excluded.not_after, fetched_at = excluded.fetched_at`;
      await db.batch([
        ...certificates.map((c) => db.prepare(upsert).bind(c.serial, c.spki.slice().buffer, iso(c.notBefore), iso(c.notAfter), iso(nowMs))),
        db.prepare('DELETE FROM platform_certificates WHERE not_after <= ?1').bind(iso(nowMs)),
      ]);
    },
  };
}
