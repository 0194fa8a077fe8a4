// PEM armour (RFC 7468) around the DER that WebCrypto imports: the merchant's PKCS#8 API key, the
// WeChat Pay public key (SPKI) and platform certificates.
import { base64Decode, base64Encode } from './base64';

export type PemLabel = 'PRIVATE KEY' | 'PUBLIC KEY' | 'CERTIFICATE';

/**
 * The DER inside the first `label` block of `pem`. Throws RangeError naming the label (never the
 * content) when there is none or its body is not base64; a PKCS#1 `RSA PRIVATE KEY` is refused
 * because WebCrypto imports PKCS#8 only.
 */
export function pemToDer(pem: string, label: PemLabel): Uint8Array<ArrayBuffer> {
  const m = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+?)-----END ${label}-----`).exec(pem);
  if (!m) throw new RangeError(`no ${label} PEM block`);
  const der = base64Decode(m[1]!.replace(/\s+/g, ''));
  if (!der || der.length === 0) throw new RangeError(`${label} PEM block is not base64`);
  return der;
}

/** Every `label` block in order (a certificate chain, a list of keys). */
export function pemBlocks(pem: string, label: PemLabel): Uint8Array<ArrayBuffer>[] {
  const out: Uint8Array<ArrayBuffer>[] = [];
  const re = new RegExp(`-----BEGIN ${label}-----[A-Za-z0-9+/=\\s]+?-----END ${label}-----`, 'g');
  for (const m of pem.matchAll(re)) out.push(pemToDer(m[0], label));
  return out;
}

export function derToPem(der: Uint8Array, label: PemLabel): string {
  const body = base64Encode(der).replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}
