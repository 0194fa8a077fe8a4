// evidence: what the other folders use of it (docs/ARCHITECTURE.md §1, feature boundaries).
export { EVIDENCE_LIMITS, runEvidence, type EvidenceDeps, type EvidenceHooks, type EvidenceLimits, type EvidencePoint, type EvidenceReport } from './run';
export { withBodies, type BodyRow } from './read';
