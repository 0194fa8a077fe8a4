// The gateway's shared domain types, in one place (types only: no code, no imports but core types).
// Repositories, the OrderGate's RPC contract and the use cases all speak these.
export type * from './anomaly';
export type * from './batch';
export type * from './events';
export type * from './gate';
export type * from './payment';
export type * from './refund';
