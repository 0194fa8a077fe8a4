// The WeChat Pay simulator. (Notify delivery across a DO restart runs alone.)
import { suite } from '../support/suite';

suite(import.meta.glob(['../sandbox/*.test.ts', '!../sandbox/notify-delivery.test.ts']));
