// Operator alerts for anomalies: one structured warn line each (the log pipeline pages on `event`).
// Only facts an operator reconciles with; never a key, a signature or a full openid.
export function raiseAlert(kind: string, outTradeNo: string | null, detail: Record<string, unknown> = {}): void {
  console.warn(JSON.stringify({ level: 'warn', event: 'ANOMALY', kind, outTradeNo, ...detail }));
}
