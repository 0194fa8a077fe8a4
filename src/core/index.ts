// The public surface of the pure protocol core. Export list only; see each module for its contract.
export * from './errors';
export * from './md5';
export * from './hex';
export * from './secret-equal';
export * from './hmac';
export * from './sign';
export * from './aes-ecb';
export * from './jsapi-params';
export * from './nonce';
export * from './xml';
export * from './money';
export * from './time';
export * from './bill';
export * from './order-state';
export * from './notify-reply';
export * from './sandbox-protocol';
