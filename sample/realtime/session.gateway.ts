import { Inject, UseGuards, type OnModuleDestroy } from '@nestjs/common';
import { SubscribeMessage, WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import {
  AxessAuthenticatedGuard,
  AxessSessionEvents,
  AxessSessionService,
  CurrentSession,
  getAxessSession,
  type AxessSession,
} from '@axess/nestjs-session';

/** Where the socket answers. */
export const WS_PATH = '/ws';

/** What the gateway needs of a socket (`ws`'s WebSocket). */
interface SampleSocket {
  readyState: number;
  send(data: string): void;
  once(event: 'close', listener: () => void): unknown;
}

const OPEN = 1;

/**
 * `GET /ws` (the `ws` protocol, `AxessWsAdapter`): only a signed-in browser of this origin gets
 * a socket. On open the server says whose session it is:
 * `{"type":"session","userId":"alice","handle":"..."}` (the session's public handle, never its id). When that session ends, on this
 * instance or another, the library closes the socket with code 4001 and the reason. When the
 * user's set of sessions changes elsewhere (another device signs in, or one of the user's
 * sessions ends), the user's other sockets get `{"type":"devices-changed"}`: the devices page
 * then redraws its list. Messages: `{"event":"whoami"}` answers `{"event":"session",...}`.
 */
@WebSocketGateway({ path: WS_PATH })
export class SessionGateway implements OnGatewayConnection, OnModuleDestroy {
  private readonly byUser = new Map<string, Set<SampleSocket>>();
  private readonly stop: () => void;

  constructor(
    @Inject(AxessSessionEvents) events: AxessSessionEvents,
    @Inject(AxessSessionService) private readonly sessions: AxessSessionService,
  ) {
    // Local and remote (other instances, through Valkey) alike.
    this.stop = events.onAny((event) => {
      if (event.userId === undefined || !['authenticated', 'evicted', 'revoked', 'logged-out', 'expired-on-access'].includes(event.type))
        return;
      for (const socket of this.byUser.get(event.userId) ?? []) {
        if (socket.readyState === OPEN && getAxessSession(socket).id !== event.sessionId)
          socket.send(JSON.stringify({ type: 'devices-changed' }));
      }
    });
  }

  onModuleDestroy(): void {
    this.stop();
  }

  handleConnection(socket: SampleSocket, _request: IncomingMessage): void {
    const session = getAxessSession(socket);
    // Its session ended while it opened: the library is closing it already.
    if (!session.isAuthenticated) return;
    const userId = session.userId!;
    let sockets = this.byUser.get(userId);
    if (!sockets) this.byUser.set(userId, (sockets = new Set()));
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0 && this.byUser.get(userId) === sockets) this.byUser.delete(userId);
    });
    socket.send(JSON.stringify({ type: 'session', userId, handle: this.sessions.sessionHandle(session.id!) }));
  }

  @SubscribeMessage('whoami')
  @UseGuards(AxessAuthenticatedGuard)
  whoami(@CurrentSession() session: AxessSession) {
    return { event: 'session', data: { userId: session.userId, handle: this.sessions.sessionHandle(session.id!) } };
  }
}
