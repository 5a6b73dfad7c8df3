import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/** Which `Origin` may open a socket: a list of origins (`https://app.example.com`), or a function. */
export type AllowedOrigins = readonly string[] | ((origin: string | undefined, request: IncomingMessage) => boolean);

/** Whether the handshake's `Origin` is one of `allowed`, by default this server's own; none is refused. */
export function originAllowed(request: IncomingMessage, allowed: AllowedOrigins | undefined): boolean {
  const origin = request.headers.origin;
  if (typeof allowed === 'function') return allowed(origin, request);
  if (typeof origin !== 'string') return false;
  let given: string;
  try {
    given = new URL(origin).origin;
  } catch {
    return false;
  }
  if (allowed !== undefined) return allowed.some((entry) => sameOrigin(entry, given));
  // This server's own origin, as this connection reached it (behind a TLS proxy, list the public origin).
  const scheme = (request.socket as TLSSocket | undefined)?.encrypted ? 'https' : 'http';
  const host = request.headers.host;
  return typeof host === 'string' && sameOrigin(`${scheme}://${host}`, given);
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === b;
  } catch {
    return false;
  }
}
