// The tag every fault a test injects on purpose carries in its message. workerd prints an error that
// leaves a Durable Object RPC method as "uncaught exception" on stderr even when the caller handles
// it; test/setup/quiet-runtime.ts drops exactly those reports whose error carries this tag. The tests
// that inject a fault assert on the error their caller saw instead. No imports: Node loads it too.

export const INJECTED_FAULT_TAG = '[injected fault]';

export function injectedFault(message: string): Error {
  return new Error(`${INJECTED_FAULT_TAG} ${message}`);
}
