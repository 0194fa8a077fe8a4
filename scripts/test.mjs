// `npm test`: the type checks, the lint and the three vitest projects at once rather than one after
// another. Most of a test run waits on workerd, wrangler dev and Chromium rather than computing, so on
// two cores the checks and the browser tests fit beside the workerd tests. The unit and worker tests
// print as they run; the others' output is printed when they end. Exits non-zero if any step failed.
import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const bin = (name) => path.join(ROOT, 'node_modules/.bin', name);
/** A bound on the whole run: a step still running then is ended and counts as failed. */
const STEP_TIMEOUT_MS = 15 * 60_000;

const children = new Set();

/** Runs the commands one after another, stopping at the first failure. Output buffered unless `live`. */
function step(name, commands, { live = false } = {}) {
  const started = Date.now();
  let output = '';
  const run = ([cmd, ...args]) =>
    new Promise((resolve) => {
      const child = spawn(cmd, args, { cwd: ROOT, stdio: live ? 'inherit' : ['ignore', 'pipe', 'pipe'], env: process.env });
      children.add(child);
      const timer = setTimeout(() => {
        output += `\n${name}: still running after ${STEP_TIMEOUT_MS / 60_000} min, stopped\n`;
        child.kill('SIGTERM');
      }, STEP_TIMEOUT_MS);
      child.stdout?.on('data', (d) => (output += d));
      child.stderr?.on('data', (d) => (output += d));
      child.on('error', (e) => (output += `\n${name}: ${e.message}\n`));
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        children.delete(child);
        resolve(code === 0 && !signal ? 0 : 1);
      });
    });
  return (async () => {
    let code = 0;
    for (const command of commands) {
      code = await run(command);
      if (code !== 0) break;
    }
    return { name, code, output, seconds: Math.round((Date.now() - started) / 1000) };
  })();
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of children) child.kill(signal);
    process.exit(130);
  });
}

const steps = [
  step('typecheck', [
    [bin('tsc'), '--noEmit'],
    [bin('tsc'), '-p', 'src/core/tsconfig.json', '--noEmit'],
  ]),
  step('lint', [
    [bin('biome'), 'ci', '--error-on-warnings', '--colors=off', '.'],
    // No import cycle, type-only imports included (the same command as `npm run lint:cycles`).
    [bin('madge'), '--circular', '--no-spinner', '--ts-config', 'tsconfig.json', '--extensions', 'ts', 'src/'],
    // Features through their index.ts, one direction, repositories without use cases (`npm run lint:boundaries`).
    [process.execPath, 'scripts/check-boundaries.mjs'],
  ]),
  step('browser', [[bin('vitest'), 'run', '--project', 'browser']]),
  step('unit and worker', [[bin('vitest'), 'run', '--project', 'unit', '--project', 'worker', '--project', 'worker-v3']], { live: true }),
];

let failed = 0;
for (const result of await Promise.all(steps)) {
  if (result.code !== 0) failed += 1;
  const text = result.output.trimEnd();
  // The checks print nothing when they pass; the browser tests' few lines are always shown.
  if (result.code !== 0) console.log(`\n── ${result.name} failed (${result.seconds} s) ──\n${text}`);
  else if (result.name === 'browser') console.log(`\n── browser (${result.seconds} s) ──\n${text}`);
  else console.log(`${result.name}: ok (${result.seconds} s)`);
}
process.exit(failed === 0 ? 0 : 1);
