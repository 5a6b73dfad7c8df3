/**
 * Two jest projects over one tree: `unit` needs no Valkey (no global setup: `npm run test:unit`
 * runs it alone, in seconds), `integration` is everything else, against a private valkey-server
 * its global setup starts. `npm test` runs both. Jest runs the TypeScript sources through SWC
 * (decorators + metadata, see .swcrc).
 */
/**
 * The unit project, declared once: folders (ending in `/`) and single files under test/. The
 * integration project runs every other spec file.
 */
const UNIT = ['test/unit/', 'test/architecture/', 'test/property/options.property.spec.ts', 'test/nest12/esm-sources.spec.ts'];

/** A glob matching `entry`'s spec files, for testMatch. */
const asGlob = (entry) => `<rootDir>/${entry}${entry.endsWith('/') ? '**/*.spec.ts' : ''}`;
/** A regular expression matching `entry`'s paths, for testPathIgnorePatterns (which takes no globs). */
const asPattern = (entry) => `/${entry.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${entry.endsWith('/') ? '' : '$'}`;

const shared = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  moduleNameMapper: {
    '^@axess/nestjs-session$': '<rootDir>/src/index.ts',
    '^@axess/nestjs-session/testing$': '<rootDir>/src/testing/index.ts',
    '^@axess/nestjs-session/ws$': '<rootDir>/src/ws/index.ts',
    '^@axess/nestjs-session/terminus$': '<rootDir>/src/terminus/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};

module.exports = {
  // Global options (jest reads them at the top level, not per project).
  maxWorkers: 2,
  testTimeout: 30000,
  verbose: false,
  projects: [
    { ...shared, displayName: 'unit', testMatch: UNIT.map(asGlob) },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...UNIT.map(asPattern)],
      globalSetup: '<rootDir>/test/harness/global-setup.ts',
      globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
    },
  ],
};
