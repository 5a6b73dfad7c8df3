import type { IncomingMessage, ServerResponse } from 'node:http';

/** The middleware's hook for a request without a live session: import the previous library's session (`migrateFrom`). */
export abstract class LegacySessionImport {
  /** Whether the request carries the legacy cookie: a header check only (called on every request without a session). */
  abstract applies(request: IncomingMessage): boolean;

  /** Imports the cookie's legacy session into the request's empty one, if valid; rejects only on a backend failure (503). */
  abstract importInto(request: IncomingMessage, response: ServerResponse): Promise<void>;
}

/** The hook of an app that does not migrate: it never applies. */
class NoLegacySessionImport extends LegacySessionImport {
  applies(): boolean {
    return false;
  }

  importInto(): Promise<void> {
    return Promise.resolve();
  }
}

/** Provided when `migrateFrom` is not set, so that every provider the module exports is a value. */
export const NO_LEGACY_SESSION_IMPORT: LegacySessionImport = new NoLegacySessionImport();
