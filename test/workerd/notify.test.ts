// Notifies: the reply matrix, re-encodings, refund notifies, API v3 notifies. (Concurrency, DO errors and commit faults run alone.)
import { suite } from '../support/suite';

suite(
  import.meta.glob(['../worker/notify-matrix.test.ts', '../worker/notify-reencoded.test.ts', '../worker/notify-refund.test.ts', '../worker/notify-v3.test.ts']),
);
