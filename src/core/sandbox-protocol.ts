/**
 * What the gateway's sandbox transport and the simulator agree on beyond WeChat's own protocol.
 * Header by which sandbox requests on the certificate transport model "client certificate presented":
 * the simulator cannot see TLS on loopback, so it reads this header (value: the mch_id) instead.
 */
export const SANDBOX_CLIENT_CERT_HEADER = 'X-Sandbox-Client-Cert';
