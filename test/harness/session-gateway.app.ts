import { UseGuards } from '@nestjs/common';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { AxessAuthenticatedGuard, CurrentSession, RequireRecentAuth, type AxessSession } from '../../src/internal';

/** How recent an authentication the gateway's `sensitive` message wants, in milliseconds. */
export const GATEWAY_STEP_UP_MAX_AGE_MS = 60_000;

/** Where the test gateway answers, for `ws` (the upgrade path) and socket.io (its `path` option) alike. */
export const GATEWAY_PATH = '/ws';

/**
 * A gateway as apps write one, for both adapters: `whoami` (behind `AxessAuthenticatedGuard`,
 * with `@CurrentSession()`) answers `session` with the user and session id; `sensitive` (behind
 * `@RequireRecentAuth`) answers `sensitive`; `echo` (no guard) answers `echo` with what it got.
 */
@WebSocketGateway({ path: GATEWAY_PATH })
export class SessionTestGateway {
  @SubscribeMessage('whoami')
  @UseGuards(AxessAuthenticatedGuard)
  whoami(@CurrentSession() session: AxessSession) {
    return { event: 'session', data: { userId: session.userId, sessionId: session.id } };
  }

  @SubscribeMessage('sensitive')
  @UseGuards(AxessAuthenticatedGuard)
  @RequireRecentAuth(GATEWAY_STEP_UP_MAX_AGE_MS)
  sensitive(@CurrentSession() session: AxessSession) {
    return { event: 'sensitive', data: { userId: session.userId } };
  }

  @SubscribeMessage('echo')
  echo(@MessageBody() data: unknown) {
    return { event: 'echo', data };
  }
}

/** A second gateway on the same path: the adapter sees each socket once per gateway. */
@WebSocketGateway({ path: GATEWAY_PATH })
export class SecondTestGateway {
  @SubscribeMessage('ping')
  ping() {
    return { event: 'pong', data: null };
  }
}
