import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A hook the session middleware calls for a request that arrived without a live session: it can
 * turn a session of the app's previous session library (named by that library's cookie) into an
 * axess session before the handler runs. The HTTP layer knows only this contract; the module
 * provides the implementation (the `migrateFrom` option), so the request path stays the same
 * for apps that do not migrate.
 */
export abstract class LegacySessionImport {
  /**
   * Whether the request carries the legacy cookie at all. Called on every request that has no
   * live session, so it must be a header check and nothing more: no parsing, no I/O.
   */
  abstract applies(request: IncomingMessage): boolean;

  /**
   * Imports the legacy session named by the request's cookie into the request's (empty) axess
   * session, or leaves it empty when there is nothing valid to import. Rejects only on a backend
   * failure (as an HTTP 503, like the middleware's own reads).
   */
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
