// Notifies: the reply matrix, re-encodings, refund notifies, API v3 notifies. (Those under faults have a
// runtime of their own: notify-faults.test.ts.)
import { suite } from '../support/suite';

suite(
  import.meta.glob(['../worker/notify-matrix.test.ts', '../worker/notify-reencoded.test.ts', '../worker/notify-refund.test.ts', '../worker/notify-v3.test.ts']),
);
