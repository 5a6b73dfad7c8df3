import { SESSION_ENDED_CLOSE_CODE } from '../ws/close-codes.js';
import type { SessionSocket } from '../ws/websocket-sessions.js';

/** The event a socket.io client gets before its socket is disconnected because its session ended: `{ reason }`. */
export const SESSION_ENDED_EVENT = 'axess:session-ended';

/** The event a socket.io client gets before its socket is disconnected by a limit: `{ reason }` (`too-many-sockets`, `too-many-messages`). */
export const SOCKET_CLOSED_EVENT = 'axess:socket-closed';

/** What the adapter needs of a socket.io `Socket` (no type of socket.io is imported: apps bring their own copy). */
export interface IoSocketLike {
  readonly connected: boolean;
  emit(event: string, ...args: unknown[]): unknown;
  disconnect(close?: boolean): unknown;
  once(event: 'disconnect', listener: () => void): unknown;
}

/** A socket.io socket as a `SessionSocket`: without close codes, a close is an event saying why, then a full disconnect. */
export class IoSessionSocket implements SessionSocket {
  constructor(private readonly socket: IoSocketLike) {}

  /** Emits `axess:session-ended` (code 4001) or `axess:socket-closed` (a limit) with `{ reason }`, then disconnects. */
  close(code?: number, reason = 'ended'): void {
    if (!this.socket.connected) return;
    this.socket.emit(code === SESSION_ENDED_CLOSE_CODE ? SESSION_ENDED_EVENT : SOCKET_CLOSED_EVENT, { reason });
    this.socket.disconnect(true);
  }

  /** Calls `listener` once the socket is disconnected, for whatever reason. */
  once(_event: 'close', listener: () => void): this {
    this.socket.once('disconnect', listener);
    return this;
  }
}
