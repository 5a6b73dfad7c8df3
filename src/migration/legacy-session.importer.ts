import { Logger } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidIdentifierError } from '../errors/invalid-identifier.error.js';
import { PacedLogger } from '../errors/paced-logger.js';
import { SessionStoreError } from '../errors/session-store.error.js';
import type { StoreFailureLog } from '../errors/store-failure.log.js';
import type { AxessSession } from '../http/axess-session.js';
import { LegacySessionImport } from '../http/legacy-session-import.js';
import { responseSink, writeSessionCookie } from '../http/response-cookies.js';
import type { SessionCommitter } from '../http/session-committer.js';
import { getAxessSession } from '../http/session-request.js';
import { sessionStateOf } from '../http/session-state.js';
import { asServiceUnavailable } from '../http/store-unavailable.js';
import type { AxessSessionService } from '../session/axess-session.service.js';
import { AxessSessionLimitException } from '../session/session-limit.exception.js';
import { LegacyCookie, type LegacyCookieScope } from './legacy-cookie.js';
import type { LegacySessionClient, LegacySessionData, LegacySessionSettings } from './legacy-session.options.js';
import { LegacySessionRecords, parseLegacyRecord, type ClaimedLegacyRecord } from './legacy-session.records.js';

/** At most one warning per reason in this many ms: bad legacy records must be seen, not flood the logs. */
const WARN_INTERVAL_MS = 60_000;

/**
 * Imports a session of express-session or @fastify/session (connect-redis layout) once, on the
 * first request with its cookie: the cookie is verified before any key is built from it; the
 * record is claimed atomically (one of concurrent or replayed requests gets it); its data goes
 * into the session, signed in through `authenticate` when it has a user; the old cookie is
 * cleared. A backend failure puts the record back and answers 503; bad input is "no session".
 */
export class LegacySessionImporter extends LegacySessionImport {
  private readonly logger = new Logger('AxessSession');
  private readonly paced = new PacedLogger(this.logger, WARN_INTERVAL_MS);
  private readonly cookie: LegacyCookie;
  private readonly records: LegacySessionRecords;

  constructor(
    private readonly settings: LegacySessionSettings,
    client: LegacySessionClient,
    /** The user of a legacy session, from its data (`settings.userId`, or what passport stored). */
    private readonly userIdOf: (legacyData: LegacySessionData) => string | undefined,
    private readonly sessions: AxessSessionService,
    private readonly committer: SessionCommitter,
    private readonly failures: StoreFailureLog,
  ) {
    super();
    this.cookie = new LegacyCookie(settings);
    this.records = new LegacySessionRecords(client, settings.prefix);
  }

  /** A header check only: requests without the legacy cookie pay nothing more. */
  applies(request: IncomingMessage): boolean {
    return this.cookie.present(request.headers.cookie);
  }

  async importInto(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const id = this.cookie.verifiedId(request.headers.cookie);
    // Not signed by the old secrets, or not an id: ignored, and no key is ever built from it.
    if (id === undefined) return;
    let claimed: ClaimedLegacyRecord | null;
    try {
      claimed = await this.records.claim(id);
    } catch (error) {
      throw asServiceUnavailable(error, this.failures, 'a legacy session import');
    }
    // Expired, or imported already (a replay, a concurrent request): the browser can drop the cookie.
    if (!claimed) return this.clearLegacyCookie(request, response, undefined);
    const parsed = parseLegacyRecord(claimed.text);
    if (!parsed) {
      this.paced.warn('malformed', `A legacy session record (${this.settings.option}) is not the JSON of a session: not imported.`);
      return this.clearLegacyCookie(request, response, undefined);
    }
    const session = getAxessSession(request);
    try {
      await this.admit(request, session, parsed.data);
    } catch (error) {
      // Nothing of the half-done import may be committed with this response.
      sessionStateOf(session).forget();
      if (isBadInput(error)) {
        this.paced.warn('refused', `A legacy session (${this.settings.option}) could not be imported: ${describe(error)}.`);
        return this.clearLegacyCookie(request, response, parsed.cookie);
      }
      await this.putBack(id, claimed);
      throw asServiceUnavailable(error, this.failures, 'a legacy session import');
    }
    this.clearLegacyCookie(request, response, parsed.cookie);
  }

  private clearLegacyCookie(request: IncomingMessage, response: ServerResponse, scope: LegacyCookieScope | undefined): void {
    writeSessionCookie(responseSink(response), { value: this.cookie.serializeCleared(scope, request), clearSiteData: false });
  }

  /** The legacy data into the session, then the user bound through normal admission; the new cookie goes out with the commit. */
  private async admit(request: IncomingMessage, session: AxessSession, data: LegacySessionData): Promise<void> {
    const user: unknown = this.userIdOf(data);
    // A number is a user id as passport stores it; anything else but a string is refused by `authenticate`.
    const userId =
      user === undefined || user === null || user === '' ? undefined : typeof user === 'number' ? String(user) : (user as string);
    for (const [key, value] of Object.entries(data)) session.set(key as never, value as never);
    if (userId !== undefined) {
      // A cap function sees `{ id }`: there is no authenticated user object on an import.
      await this.sessions.authenticate(request, userId, { user: { id: userId } });
    } else if (Object.keys(data).length > 0) {
      // Written now, not at commit: a failure must still be able to put the legacy record back.
      await this.committer.flush(sessionStateOf(session));
    }
  }

  private async putBack(id: string, claimed: ClaimedLegacyRecord): Promise<void> {
    try {
      await this.records.restore(id, claimed);
    } catch (error) {
      this.logger.error(`Could not put a legacy session back after a failed import: ${describe(error)}`);
    }
  }
}

/**
 * Failures that would repeat on every attempt: the legacy session cannot become an axess one.
 * A user whose sessions fill the cap under `onSessionLimit: 'refuse'` is one: the import is
 * dropped (the visitor signs in again) rather than answering 409 to every request it makes.
 */
function isBadInput(error: unknown): boolean {
  return (
    error instanceof InvalidIdentifierError ||
    error instanceof AxessSessionLimitException ||
    (error instanceof SessionStoreError && error.kind === 'payload-too-large')
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
