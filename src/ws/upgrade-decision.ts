import { HttpException, type Logger } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { AxessSession } from '../http/axess-session.js';
import { findAxessSession } from '../http/session-request.js';
import { originAllowed, type AllowedOrigins } from './origin.js';

/** An upgrade request that may open a socket. */
export interface UpgradeAccepted {
  /** The upgrade may go on. */
  accept: true;
  /** The signed-in session the socket will carry. */
  session: AxessSession;
}

/** An upgrade request answered with an HTTP error instead of a socket. */
export interface UpgradeRefused {
  /** No socket opens. */
  accept: false;
  /** 403 (Origin), 401 (no live signed-in session), 503 (store unavailable) or 500. */
  status: 401 | 403 | 500 | 503;
  /** The JSON body of the answer, e.g. `{ statusCode: 401, message: 'Unauthorized', reason: 'revoked' }`. */
  body: Record<string, unknown>;
}

/** The answer to an upgrade request. */
export type UpgradeDecision = UpgradeAccepted | UpgradeRefused;

/** Decides a handshake for every adapter: the `Origin` first, then the session `loadSession` attaches to the request. */
export async function decideUpgrade(
  request: IncomingMessage,
  allowedOrigins: AllowedOrigins | undefined,
  loadSession: (request: IncomingMessage) => Promise<void>,
  logger: Logger,
): Promise<UpgradeDecision> {
  if (!originAllowed(request, allowedOrigins)) {
    return { accept: false, status: 403, body: { statusCode: 403, message: 'Cross-origin WebSocket refused.' } };
  }
  try {
    await loadSession(request);
  } catch (error) {
    if (error instanceof HttpException && error.getStatus() === 503) {
      return { accept: false, status: 503, body: { statusCode: 503, message: 'Service Unavailable' } };
    }
    logger.error(`Could not load the session of a WebSocket upgrade: ${error instanceof Error ? error.message : String(error)}`);
    return { accept: false, status: 500, body: { statusCode: 500, message: 'Internal server error' } };
  }
  const session = findAxessSession(request);
  if (!session?.isAuthenticated || session.id === undefined) {
    const reason = session?.endedReason;
    return { accept: false, status: 401, body: { statusCode: 401, message: 'Unauthorized', ...(reason === undefined ? {} : { reason }) } };
  }
  return { accept: true, session };
}
