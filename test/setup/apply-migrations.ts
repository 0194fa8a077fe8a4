import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';

// Idempotent: only unapplied migrations run, so this is safe once per test file.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
