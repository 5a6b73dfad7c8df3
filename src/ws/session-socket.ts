/**
 * What the library needs of a socket: `ws`'s WebSocket has it; `AxessIoAdapter` wraps a
 * socket.io socket in one (a close becomes an event to the client, then a disconnect).
 */
export interface SessionSocket {
  /** Closes the socket with a close code and reason. */
  close(code?: number, reason?: string): void;
  /** Calls `listener` once the socket has closed. */
  once(event: 'close', listener: () => void): unknown;
}

/** Options of {@link AxessWebSocketSessions.admit}. */
export interface AdmitOptions {
  /** What gateways get as the client (`@CurrentSession()` finds the session on it). @default the socket */
  carrier?: object;
  /** One socket more than this closes the session's oldest (1008, `too-many-sockets`). @default Infinity */
  maxSocketsPerSession?: number;
}
