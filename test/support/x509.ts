// Test-side helpers for the API v3 vector tests: an X.509 reading of our own (@peculiar/asn1-x509, not
// the gateway's, so the vectors check the production code against an independent parse), SHA-256 hex of
// DER, and a one-character change to a base64 signature.
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { bytesToHex, pemToDer } from '../../src/core';

export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
}

export interface ParsedCertificate {
  /** Upper-case hex, leading zero bytes dropped: the form of `serial_no` / `Wechatpay-Serial`. */
  readonly serial: string;
  readonly spki: Uint8Array<ArrayBuffer>;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export function parseCertificate(pem: string): ParsedCertificate {
  const tbs = AsnConvert.parse(pemToDer(pem, 'CERTIFICATE'), Certificate).tbsCertificate;
  const serial = bytesToHex(new Uint8Array(tbs.serialNumber))
    .toUpperCase()
    .replace(/^(?:00)+(?=.)/, '');
  return {
    serial,
    spki: new Uint8Array(AsnConvert.serialize(tbs.subjectPublicKeyInfo)),
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
  };
}

/** The same base64 text with one character changed (a different, still canonical, signature). */
export function flipFirstChar(b64: string): string {
  return (b64[0] === 'A' ? 'B' : 'A') + b64.slice(1);
}
