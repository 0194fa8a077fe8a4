// anomalies: what the other folders use of it (docs/ARCHITECTURE.md §1, feature boundaries).
export { alertAnomaly, anomalyInBatch, messageKeyOf, reportAnomaly, type AnomalyDeps } from './report';
