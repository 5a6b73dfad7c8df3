import type { INestApplication } from '@nestjs/common';
import { AxessWsAdapter } from '@axess/nestjs-session/ws';

/**
 * The sample's WebSocket adapter: `ws` with axess sessions (same-origin upgrades with a signed-in
 * session only; sockets closed with 4001 when their session ends). Every way of building the
 * sample app calls this before `init`/`listen`: its gateway needs an adapter.
 */
export function useSampleWebSockets(app: INestApplication): void {
  app.useWebSocketAdapter(new AxessWsAdapter(app));
}
