// The operator console: auth, limits, credentials, pages, Access, CSV, operations, rollups.
import { suite } from '../support/suite';

suite(import.meta.glob('../worker/console-*.test.ts'));
