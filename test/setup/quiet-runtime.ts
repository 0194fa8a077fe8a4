// Vitest globalSetup (Node, the process that relays workerd's logs): drops exactly these kinds of
// workerd report that a green run always produced, and nothing else.
// 1. The runner's WebSocket closing when a test file ends (pool shutdown, not our code).
// 2. An error a test injected on purpose (tagged, test/support/injected-fault.ts) leaving an
//    OrderGate RPC method: workerd reports it as "uncaught exception" although the route catches
//    it (or leaving an alarm handler); the test asserts on the error its caller saw or on the resume.
// 3. workerd's notes on alarms a test runs by hand ahead of their time.
// 4. A Durable Object's alarm cut short by a test's abortAllDurableObjects().
// Any other line, including any other uncaught exception, still prints.
import { INJECTED_FAULT_TAG } from '../support/injected-fault';

const escaped = INJECTED_FAULT_TAG.replace(/[[\]]/g, '\\$&');
const KNOWN_BENIGN = [
  /^exception = workerd\/api\/web-socket\.c\+\+:\d+: disconnected: WebSocket peer disconnected\n?$/,
  new RegExp(`^uncaught exception; source = Uncaught \\(in promise\\); stack = Error: (?:D1_ERROR: )?${escaped} `),
  // The same tagged error leaving a Durable Object alarm handler (the Reconciler's crash-and-resume tests).
  new RegExp(`^uncaught exception; exception = \\S+: failed: jsg\\.Error: (?:D1_ERROR: )?${escaped} `),
  // 4. A test's own abortAllDurableObjects() catching a Durable Object mid-alarm (the simulator's
  //    notify delivery retries by alarm): the error names the call, so it can only come from a test.
  /^uncaught exception; source = Uncaught \(in promise\); stack = Error: Application called abortAllDurableObjects\(\)\./,
  /^uncaught exception; exception = \S+: failed: jsg\.Error: Application called abortAllDurableObjects\(\)\./,
  // workerd's own notes when a test fires an alarm by hand before its scheduled time.
  /^NOSENTRY SQLite alarm (?:overdue, running despite AlarmManager mismatch|handler canceled with requestScheduledAlarm)\b/,
];

type Write = typeof process.stdout.write;

/** workerd writes the native stack of an alarm handler's uncaught exception as the next line. */
const NATIVE_STACK = /^stack: \S+workerd@[0-9a-f]+(?: \S+workerd@[0-9a-f]+)*\n?$/;

function filtered(original: Write): Write {
  let droppedReport = false;
  return function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
    const text = typeof chunk === 'string' ? chunk : '';
    const drop = KNOWN_BENIGN.some((pattern) => pattern.test(text)) || (droppedReport && NATIVE_STACK.test(text));
    droppedReport = drop && text.startsWith('uncaught exception; exception = ');
    if (drop) {
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
