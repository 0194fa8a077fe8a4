// Platform certificates (平台证书, docs/wechatpay-v3.md §4.2): what GET /v3/certificates answers,
// decrypted (AES-256-GCM under the APIv3 key, associated_data "certificate"), parsed (X.509 with
// @peculiar/asn1-x509: never hand-written ASN.1) and accepted only when that very answer verifies with
// one of the certificates it lists (or with the configured WeChat Pay public key). Expired ones are
// dropped: they are never stored, never used.
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { bytesToHex, decryptResource, importVerifyingKey, pemToDer, verifyV3Signature, type V3SignedHeaders, type V3VerifyFailure } from '../../core';

import type { PlatformCertificate } from './certificates-repo';

export type { PlatformCertificate } from './certificates-repo';

/** The serial, validity and public key of a PEM certificate. Throws on anything that is not one X.509 certificate. */
export function parseCertificatePem(pem: string): PlatformCertificate {
  const cert = AsnConvert.parse(pemToDer(pem, 'CERTIFICATE'), Certificate);
  const tbs = cert.tbsCertificate;
  const serialBytes = new Uint8Array(tbs.serialNumber);
  let start = 0;
  while (start < serialBytes.length - 1 && serialBytes[start] === 0) start++;
  const notBefore = tbs.validity.notBefore.getTime().getTime();
  const notAfter = tbs.validity.notAfter.getTime().getTime();
  if (!Number.isFinite(notBefore) || !Number.isFinite(notAfter)) throw new RangeError('certificate validity unreadable');
  return {
    serial: bytesToHex(serialBytes.subarray(start)).toUpperCase(),
    spki: new Uint8Array(AsnConvert.serialize(tbs.subjectPublicKeyInfo)),
    notBefore,
    notAfter,
  };
}

/** A certificate may verify at `nowMs`: within its validity, with the same ±5 minutes of clock skew as signatures. */
export function isCurrent(c: Pick<PlatformCertificate, 'notBefore' | 'notAfter'>, nowMs: number): boolean {
  return c.notBefore - 300_000 <= nowMs && nowMs < c.notAfter;
}

export type CertificateListVerdict =
  | { readonly ok: true; readonly certificates: readonly PlatformCertificate[] }
  | { readonly ok: false; readonly reason: 'MALFORMED' | 'UNDECRYPTABLE' | 'SERIAL_MISMATCH' | V3VerifyFailure };

interface ListEntry {
  serial_no?: unknown;
  encrypt_certificate?: { algorithm?: unknown; nonce?: unknown; associated_data?: unknown; ciphertext?: unknown };
}

/**
 * Judges one /v3/certificates answer (a 200): every entry decrypts to a certificate whose own serial is
 * the listed serial_no; the answer's signature verifies, within ±5 minutes, with the listed
 * certificate its Wechatpay-Serial names (current at `nowMs`) or with the public key of `publicKey.id`.
 * Any failure refuses the whole list. The certificates returned are the current ones.
 */
export async function acceptCertificateList(
  headers: V3SignedHeaders,
  body: Uint8Array,
  apiV3Key: CryptoKey,
  publicKey: { readonly id: string; readonly key: CryptoKey } | null,
  nowMs: number,
): Promise<CertificateListVerdict> {
  let data: unknown;
  try {
    data = (JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(body)) as { data?: unknown } | null)?.data;
  } catch {
    return { ok: false, reason: 'MALFORMED' };
  }
  if (!Array.isArray(data) || data.length > 20) return { ok: false, reason: 'MALFORMED' };
  const listed: PlatformCertificate[] = [];
  for (const entry of data as ListEntry[]) {
    const enc = entry?.encrypt_certificate;
    if (typeof entry?.serial_no !== 'string' || !enc || enc.associated_data !== 'certificate') return { ok: false, reason: 'MALFORMED' };
    if (typeof enc.algorithm !== 'string' || typeof enc.nonce !== 'string' || typeof enc.ciphertext !== 'string') return { ok: false, reason: 'MALFORMED' };
    let cert: PlatformCertificate;
    try {
      const pem = await decryptResource(apiV3Key, { algorithm: enc.algorithm, nonce: enc.nonce, associated_data: 'certificate', ciphertext: enc.ciphertext });
      cert = parseCertificatePem(pem);
    } catch {
      return { ok: false, reason: 'UNDECRYPTABLE' };
    }
    if (cert.serial !== entry.serial_no.toUpperCase()) return { ok: false, reason: 'SERIAL_MISMATCH' };
    listed.push(cert);
  }
  const keyFor = async (serial: string): Promise<CryptoKey | null> => {
    if (publicKey && serial === publicKey.id) return publicKey.key;
    const cert = listed.find((c) => c.serial === serial.toUpperCase() && isCurrent(c, nowMs));
    return cert ? importVerifyingKey(cert.spki) : null;
  };
  const verified = await verifyV3Signature(headers, body, keyFor, Math.floor(nowMs / 1000));
  if (!verified.ok) return { ok: false, reason: verified.reason };
  return { ok: true, certificates: listed.filter((c) => isCurrent(c, nowMs)) };
}
