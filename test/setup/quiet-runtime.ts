// Vitest globalSetup (Node, the process that relays workerd's logs): drops exactly two kinds of
// workerd report that a green run always produced, and nothing else.
// 1. The runner's WebSocket closing when a test file ends (pool shutdown, not our code).
// 2. An error a test injected on purpose (tagged, test/support/injected-fault.ts) leaving an
//    OrderGate RPC method: workerd reports it as "uncaught exception" although the route catches
//    it; the test asserts on the error its caller saw.
// Any other line, including any other uncaught exception, still prints.
import { INJECTED_FAULT_TAG } from '../support/injected-fault';

const escaped = INJECTED_FAULT_TAG.replace(/[[\]]/g, '\\$&');
const KNOWN_BENIGN = [
  /^exception = workerd\/api\/web-socket\.c\+\+:\d+: disconnected: WebSocket peer disconnected\n?$/,
  new RegExp(`^uncaught exception; source = Uncaught \\(in promise\\); stack = Error: (?:D1_ERROR: )?${escaped} `),
];

type Write = typeof process.stdout.write;

function filtered(original: Write): Write {
  return function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
    if (typeof chunk === 'string' && KNOWN_BENIGN.some((pattern) => pattern.test(chunk))) {
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      done?.();
      return true;
    }
    return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as Write;
}

// Never restored: the pool closes workerd (and its WebSocket) after global teardown.
export default function setup(): void {
  process.stdout.write = filtered(process.stdout.write);
  process.stderr.write = filtered(process.stderr.write);
}
