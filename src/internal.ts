/**
 * Every module of the library, for its own tests and benchmarks. Not part of the package's
 * `exports` map: apps import `@axess/nestjs-session` (src/index.ts), which is the public API.
 */
export * from './index.js';
export * from './axess-session.backend.js';
export * from './axess-session.module-definition.js';
export * from './axess-session.options.js';
export * from './axess-session.providers.js';
export * from './axess-session.resolved-options.js';
export * from './axess-session.tokens.js';
export * from './axess-session.module.js';
export * from './cache/cache-coherence.js';
export * from './cache/caching-session.store.js';
export * from './cache/local-cache.options.js';
export * from './cache/record-copy.js';
export * from './cache/session-lru.js';
export * from './cache/valkey-invalidations.js';
export * from './codec/data-snapshot.js';
export * from './codec/session-record.codec.js';
export * from './crypto/plaintext-session.cipher.js';
export * from './crypto/secret-key.js';
export * from './crypto/session-id.js';
export * from './http/cookie-signer.js';
export * from './http/session-committer.js';
export * from './http/session-cookie.js';
export * from './registry/registry-limits.js';
export * from './registry/session-limit.js';
export * from './session/login-admission.js';
export * from './session/session-limit.exception.js';
export * from './registry/user-id.js';
export * from './store/sealed-record.js';
export * from './store/session-lifetime.js';
export * from './telemetry/axess-telemetry.js';
export * from './telemetry/instrumented-call.js';
export * from './telemetry/instrumented-session.registry.js';
export * from './telemetry/instrumented-session.store.js';
export * from './valkey/durable-writes.js';
export * from './valkey/key-layout.js';
export * from './valkey/valkey-connection.js';
export * from './valkey/valkey-connection.options.js';
export * from './guards/max-sessions.decorator.js';
export * from './http/legacy-session-import.js';
export * from './migration/legacy-cookie.js';
export * from './migration/legacy-session.importer.js';
export * from './migration/legacy-session.options.js';
export * from './migration/legacy-session.records.js';
