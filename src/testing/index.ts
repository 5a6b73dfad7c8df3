/**
 * Test helpers, imported from `@axess/nestjs-session/testing`: `ManualClock` to move time by hand,
 * `createTestSession` for unit tests of code that takes an `AxessSession`, and private `valkey-server` processes (single node, Cluster, Sentinel) started on free loopback
 * ports and stopped however the test process ends.
 *
 * @packageDocumentation
 * @module \@axess/nestjs-session/testing
 */
export * from './manual.clock.js';
export * from './test-session.js';
export * from './valkey-test-server.js';
export * from './valkey-cluster.js';
export * from './valkey-sentinel.js';
