// lifecycle: what the other folders use of it (docs/ARCHITECTURE.md §1, feature boundaries).
export { runLifecycleTick } from './tick';
