/**
 * Fault points for tests (docs/reliability.md §7.0, T44/T53–T60). They live under a Symbol key: RPC can
 * only reach string-named methods, and nothing in production code assigns the key, so the hooks are
 * set only by a test holding the instance through `runInDurableObject`. Unset, they cost one check.
 */
export const GATE_TEST_HOOKS: unique symbol = Symbol('OrderGate.testHooks');

export interface GateTestHooks {
  /** Runs just before the D1 batch that commits a payment: delay it, or throw to fail it. */
  beforeCommit?: () => Promise<void>;
  /** Runs after that batch committed, before the DO caches it and replies: throw to model a lost reply. */
  afterCommit?: () => Promise<void>;
}
