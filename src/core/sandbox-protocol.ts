/**
 * What the gateway's sandbox transport and the simulator agree on beyond WeChat's own protocol.
 * Header by which sandbox requests on the certificate transport model "client certificate presented":
 * the simulator cannot see TLS on loopback, so it reads this header (value: the mch_id) instead.
 */
export const SANDBOX_CLIENT_CERT_HEADER = 'X-Sandbox-Client-Cert';

/**
 * The sandbox merchant's mini-program and open-platform mobile app when the gateway's configuration
 * names none: fixed test values (docs/configuration.md), shaped like real appids (`wx` + 16 hex
 * digits), bound to the sandbox mch_id beside the 公众号 appid. Never valid at WeChat; refused in live.
 */
export const SANDBOX_MINI_PROGRAM_APPID = 'wx5a4db0c0de000001';
export const SANDBOX_MINI_PROGRAM_SECRET = 'sandbox-mini-program-secret-not-for-live-use';
export const SANDBOX_APP_APPID = 'wx5a4db0c0de000002';
