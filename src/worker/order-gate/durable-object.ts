import { DurableObject } from 'cloudflare:workers';

/** One instance per out_trade_no. Serialises every state change of that order. */
export class OrderGate extends DurableObject<Env> {
  async ping(): Promise<string> {
    return 'pong';
  }
}
