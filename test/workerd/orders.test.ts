// Orders: create, bad input, jsapi, sync and close, the WeChat client, text, the API's shape.
import { suite } from '../support/suite';

suite(import.meta.glob('../worker/orders-*.test.ts'));
