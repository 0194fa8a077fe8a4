// The v3 keys as WebCrypto keys, imported on first use and kept for the isolate's life (keyed by the
// configured material, so a changed configuration imports afresh). The configuration checked their
// structure (platform/config-v3.ts); a key WebCrypto still refuses makes the configuration invalid:
// DomainError CONFIG_INVALID (503 on the merchant API, RETRY to WeChat), logged once by variable name.
import { importApiV3Key, importSigningKey, importVerifyingKey } from '../../core';
import type { V3Settings } from '../platform/config';
import { DomainError } from '../platform/errors';
import { log } from '../platform/log';

const imported = new Map<string, Promise<CryptoKey>>();
const reported = new Set<string>();

function cached(variable: string, material: string, load: () => Promise<CryptoKey>): Promise<CryptoKey> {
  const id = `${variable}\n${material}`;
  let key = imported.get(id);
  if (!key) {
    key = (async () => load())().catch(() => {
      if (!reported.has(variable)) {
        reported.add(variable);
        log.error('CONFIG_INVALID', { problems: [`${variable} could not be imported as a WebCrypto key`] });
      }
      throw new DomainError('CONFIG_INVALID', 'the payment service is not configured');
    });
    imported.set(id, key);
  }
  return key;
}

/** The merchant's API private key (RSASSA-PKCS1-v1_5 / SHA-256): requests and pay params. */
export function signingKey(v3: V3Settings): Promise<CryptoKey> {
  return cached('WECHAT_MCH_PRIVATE_KEY', v3.mchPrivateKey, () => importSigningKey(v3.mchPrivateKey));
}

/** The APIv3 key (AES-256-GCM): notify resources and the certificate list. */
export function apiV3Key(v3: V3Settings): Promise<CryptoKey> {
  return cached('WECHAT_APIV3_KEY', v3.apiV3Key, () => importApiV3Key(v3.apiV3Key));
}

/** The WeChat Pay public key, or null in platform-certificate mode. */
export function payPublicKey(v3: V3Settings): Promise<CryptoKey> | null {
  const pub = v3.payPublicKey;
  return pub ? cached('WECHAT_PAY_PUBLIC_KEY', pub.pem, () => importVerifyingKey(pub.pem)) : null;
}
