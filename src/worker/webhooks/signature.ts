// Standard Webhooks signing (https://www.standardwebhooks.com): HMAC-SHA256 with WebCrypto over
// `{id}.{timestamp}.{body}`, keyed with the base64-decoded bytes after `whsec_`.

const PREFIX = 'whsec_';

function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** The key bytes of a `whsec_…` secret (config.ts has checked its shape). */
function secretBytes(secret: string): Uint8Array {
  return base64ToBytes(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret);
}

/** The `webhook-signature` header value: `v1,<base64 HMAC-SHA256>`. */
export async function signWebhook(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', secretBytes(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${id}.${timestamp}.${body}`));
  return `v1,${bytesToBase64(new Uint8Array(mac))}`;
}

/** The three Standard Webhooks headers of one attempt (plus the JSON content type). */
export async function webhookHeaders(secret: string, id: string, timestamp: number, body: string): Promise<Record<string, string>> {
  return {
    'Content-Type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': await signWebhook(secret, id, timestamp, body),
  };
}
