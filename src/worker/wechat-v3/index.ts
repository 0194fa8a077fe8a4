// The WeChat Pay API v3 client: v3Channel (the channel seam over signed, verified JSON calls), the v3
// notify reader, and the platform-certificate key store the lifecycle cron keeps fresh.
export { v3Channel } from './channel';
export { v3NotifyReader } from './notify';
export { forgetPlatformKeys, refreshCertificatesIfDue, type MaintenanceResult } from './key-store';
export { parseCertificatePem, type PlatformCertificate } from './certificates';
export { d1CertificateStore, type CertificateStore, type StoredCertificate } from './certificates-repo';
export type { V3Deps } from './request';
