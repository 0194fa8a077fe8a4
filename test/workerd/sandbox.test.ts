// The WeChat Pay simulator, notify delivery across a DO restart included.
import { suite } from '../support/suite';

suite(import.meta.glob('../sandbox/*.test.ts'));
