// console: what the other folders use of it (docs/ARCHITECTURE.md §1, feature boundaries).
export { consoleRollupHook } from './console-rollup-repo';
