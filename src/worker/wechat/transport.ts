// How the v2 client reaches WeChat: the channel's injected transports (channel/transport.ts).
export type { WechatTransport, WechatTransports } from '../channel';
