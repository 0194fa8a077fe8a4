import { defineConfig } from 'vitest/config';
import { workerdProject } from './vitest.worker.config';

// The main flows again with WECHAT_API_VERSION=v3 for the whole runtime (the gateway, its Durable
// Objects, the cron and the simulator's deliveries alike): test/workerd-v3 names the files.
export default defineConfig(() => workerdProject('worker-v3', ['test/workerd-v3/*.test.ts'], [], { WECHAT_API_VERSION: 'v3' }));
