import type { AllowedOrigins } from './origin.js';

/** @default 16 KiB: the largest message a client may send. */
export const DEFAULT_MAX_PAYLOAD = 16 * 1024;
/** @default 10: open sockets per session. */
export const DEFAULT_MAX_SOCKETS_PER_SESSION = 10;
/** @default 100: messages per second per socket. */
export const DEFAULT_MAX_MESSAGES_PER_SECOND = 100;

/** Options of the WebSocket adapters (`AxessWsAdapter` from `/ws`, `AxessIoAdapter` from `/socket.io`). */
export interface AxessSocketOptions {
  /**
   * Which `Origin` may open a socket: a list of origins (`['https://app.example.com']`) or a
   * function of the origin (`undefined` when the client sent none) and the handshake request.
   * @default this server's own origin (scheme, host and port, as the connection reached it); no
   * `Origin` is refused. Behind a TLS-terminating proxy, list the public origin.
   */
  allowedOrigins?: AllowedOrigins;
  /**
   * How often the sessions of open sockets are checked against the store, in ms; `0` checks only
   * after events from other instances may have been missed.
   * @default 60000
   */
  recheckIntervalMs?: number;
  /**
   * The largest message a client may send, in bytes: `ws` closes with 1009 on the frame's header,
   * socket.io (`maxHttpBufferSize`) drops the connection. A gateway's own setting wins.
   * @default 16384 (16 KiB)
   */
  maxPayload?: number;
  /**
   * Open sockets per session (`Infinity`: no limit); one more closes the oldest (ws: 1008
   * `too-many-sockets`; socket.io: `axess:socket-closed`), so a reloaded tab replaces its socket.
   * @default 10
   */
  maxSocketsPerSession?: number;
  /**
   * Messages a socket may send within one second (`Infinity`: no limit); one more closes it
   * (ws: code 1008, reason `too-many-messages`; socket.io: `axess:socket-closed`, then a disconnect).
   * @default 100
   */
  maxMessagesPerSecond?: number;
  /**
   * Read the socket's session from the store before each message reaches a handler, so a message
   * after a revocation on any instance is refused (4001) before its event arrives; `false` relies
   * on the events alone (a window of a few ms).
   * @default true
   */
  recheckEachMessage?: boolean;
}

/** The limits of one adapter, checked and with their defaults. */
export interface SocketLimits {
  maxPayload: number;
  maxSocketsPerSession: number;
  maxMessagesPerSecond: number;
  recheckEachMessage: boolean;
}

/** Checks the limits of `options` and fills in the defaults; a bad value throws a `RangeError` naming it. */
export function socketLimits(options: AxessSocketOptions): SocketLimits {
  const limits: SocketLimits = {
    maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
    maxSocketsPerSession: options.maxSocketsPerSession ?? DEFAULT_MAX_SOCKETS_PER_SESSION,
    maxMessagesPerSecond: options.maxMessagesPerSecond ?? DEFAULT_MAX_MESSAGES_PER_SECOND,
    recheckEachMessage: options.recheckEachMessage ?? true,
  };
  if (!Number.isSafeInteger(limits.maxPayload) || limits.maxPayload < 1)
    throw new RangeError('maxPayload must be a whole number of bytes ≥ 1.');
  for (const name of ['maxSocketsPerSession', 'maxMessagesPerSecond'] as const) {
    const value = limits[name];
    if (value !== Infinity && (!Number.isSafeInteger(value) || value < 1))
      throw new RangeError(`${name} must be a whole number ≥ 1, or Infinity.`);
  }
  return limits;
}

/** Counts one socket's messages in one-second windows: more than `perSecond` in one is over the limit. */
export class MessageRate {
  private windowStart = -Infinity;
  private count = 0;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Counts one message; `false` when it is over the limit. */
  take(): boolean {
    const now = this.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.count = 0;
    }
    return ++this.count <= this.perSecond;
  }
}
