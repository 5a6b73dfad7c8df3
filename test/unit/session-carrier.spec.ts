import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import {
  AxessAuthenticatedGuard,
  AxessSession,
  AxessSessionNotMountedError,
  AxessSessionService,
  LoginPolicy,
  MaxSessionsGuard,
} from '../../src/internal';
import { AxessUnauthorizedException } from '../../src/http/unauthorized.exception';
import { AxessUnsupportedContextError, sessionCarrier } from '../../src/http/session-carrier';
import { attachAxessSession } from '../../src/http/session-request';
import { SessionState } from '../../src/http/session-state';

const NOW = Date.UTC(2031, 0, 1);
const ID = 'A'.repeat(32);

/** An execution context of `type` over `args` (what Nest hands guards). */
function contextOf(type: string, args: unknown[]): ExecutionContext {
  const host = new ExecutionContextHost(args, class Controller {}, function handler() {});
  host.setType(type);
  return host;
}

function signedIn(userId = 'alice'): AxessSession {
  return new AxessSession(new SessionState(ID, { data: {}, createdAt: NOW, userId, authenticatedAt: NOW }, () => NOW));
}

function anonymous(endedReason?: string): AxessSession {
  const state = new SessionState(undefined, undefined, () => NOW);
  state.endedReason = endedReason;
  return new AxessSession(state);
}

function requestWith(session: AxessSession): { headers: object } {
  const req = { headers: {} };
  attachAxessSession(req, session);
  return req;
}

/** MaxSessionsGuard over a service that records what it was asked. */
function maxSessionsGuard() {
  const calls: Array<{ req: unknown; userId: string; response: unknown }> = [];
  const loginPolicy = new LoginPolicy(3, false, true, (user) => (user as { id?: string }).id, 60_000);
  const service = {
    loginPolicy,
    authenticate: (req: unknown, userId: string, options: { response?: unknown }) => {
      calls.push({ req, userId, response: options.response });
      return Promise.resolve({ sessionId: ID, evicted: [] });
    },
  } as unknown as AxessSessionService;
  return { guard: new MaxSessionsGuard(service, new Reflector()), calls };
}

describe('where the session is found, per execution context', () => {
  it('http: the request and the response', () => {
    const req = { headers: {} };
    const res = {};
    expect(sessionCarrier(contextOf('http', [req, res, () => undefined]), 'x')).toEqual({ type: 'http', request: req, response: res });
  });

  it('graphql on Apollo (Express): the context { req, res }', () => {
    const req = { headers: {} };
    const res = {};
    const carrier = sessionCarrier(contextOf('graphql', [undefined, {}, { req, res }, {}]), 'x');
    expect(carrier).toEqual({ type: 'graphql', request: req, response: res });
  });

  it("graphql on Apollo's default context { req }: the response is the Express request's own `req.res`", () => {
    const res = {};
    const req = { headers: {}, res };
    expect(sessionCarrier(contextOf('graphql', [undefined, {}, { req }, {}]), 'x').response).toBe(res);
  });

  it('graphql on Mercurius: { req, reply } as @nestjs/mercurius builds it, or the reply alone (reply.request)', () => {
    const request = { headers: {} };
    const reply = { request };
    expect(sessionCarrier(contextOf('graphql', [undefined, {}, { req: request, reply }, {}]), 'x')).toEqual({
      type: 'graphql',
      request,
      response: reply,
    });
    expect(sessionCarrier(contextOf('graphql', [undefined, {}, { reply }, {}]), 'x')).toEqual({
      type: 'graphql',
      request,
      response: reply,
    });
  });

  it('ws: the socket', () => {
    const socket = { send() {} };
    expect(sessionCarrier(contextOf('ws', [socket, { hello: 1 }, 'event']), 'x')).toEqual({
      type: 'ws',
      request: socket,
      response: undefined,
    });
  });

  it('a GraphQL context without a request: a clear error, not a pass', () => {
    expect(() => sessionCarrier(contextOf('graphql', [undefined, {}, {}, {}]), 'AxessAuthenticatedGuard')).toThrow(
      /AxessAuthenticatedGuard cannot run in the 'graphql' execution context: its GraphQL context holds no request/,
    );
  });

  it.each(['rpc', 'kafka-custom'])('an unsupported context type (%s): AxessUnsupportedContextError naming it', (type) => {
    let error: unknown;
    try {
      sessionCarrier(contextOf(type, [{}, {}]), 'MaxSessionsGuard');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AxessUnsupportedContextError);
    expect((error as AxessUnsupportedContextError).contextType).toBe(type);
    expect((error as Error).message).toContain(`MaxSessionsGuard cannot run in the '${type}' execution context`);
    expect((error as Error).name).toBe('AxessUnsupportedContextError');
  });
});

describe('AxessAuthenticatedGuard on every context', () => {
  const guard = new AxessAuthenticatedGuard();

  it('lets a signed-in session through on http, graphql and ws', () => {
    expect(guard.canActivate(contextOf('http', [requestWith(signedIn()), {}]))).toBe(true);
    expect(guard.canActivate(contextOf('graphql', [undefined, {}, { req: requestWith(signedIn()) }, {}]))).toBe(true);
    const socket = {};
    attachAxessSession(socket, signedIn());
    expect(guard.canActivate(contextOf('ws', [socket, {}]))).toBe(true);
  });

  it("refuses an ended session on graphql with extensions { code: 'UNAUTHENTICATED', reason }", () => {
    let error: unknown;
    try {
      guard.canActivate(contextOf('graphql', [undefined, {}, { req: requestWith(anonymous('revoked')) }, {}]));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AxessUnauthorizedException);
    expect((error as AxessUnauthorizedException).extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'revoked' });
    expect((error as AxessUnauthorizedException).getResponse()).toEqual({ statusCode: 401, message: 'Unauthorized', reason: 'revoked' });
  });

  it('refuses a message of a socket whose session ended, and names the missing adapter for a socket without a session', () => {
    const socket = {};
    attachAxessSession(socket, anonymous('revoked'));
    expect(guard.canActivate(contextOf('ws', [socket, {}]))).toBe(false);
    expect(() => guard.canActivate(contextOf('ws', [{}, {}]))).toThrow(AxessSessionNotMountedError);
    expect(() => guard.canActivate(contextOf('ws', [{}, {}]))).toThrow(/AxessWsAdapter/);
  });

  it('throws on an rpc context instead of answering', () => {
    expect(() => guard.canActivate(contextOf('rpc', [{}, {}]))).toThrow(AxessUnsupportedContextError);
  });
});

describe('MaxSessionsGuard never passes silently', () => {
  it('throws on an rpc context, even with a user', async () => {
    const { guard, calls } = maxSessionsGuard();
    await expect(guard.canActivate(contextOf('rpc', [{ user: { id: 'alice' } }, {}]))).rejects.toThrow(/'rpc' execution context/);
    expect(calls).toEqual([]);
  });

  it('completes a login in a GraphQL resolver: the request and response of the GraphQL context', async () => {
    const { guard, calls } = maxSessionsGuard();
    const req = { headers: {}, user: { id: 'alice' } };
    const reply = { request: req };
    await expect(guard.canActivate(contextOf('graphql', [undefined, {}, { req, reply }, {}]))).resolves.toBe(true);
    expect(calls).toEqual([{ req, userId: 'alice', response: reply }]);
  });

  it('on ws: lets a signed-in socket through, refuses a login over the socket', async () => {
    const { guard, calls } = maxSessionsGuard();
    const socket = {};
    attachAxessSession(socket, signedIn());
    await expect(guard.canActivate(contextOf('ws', [socket, {}]))).resolves.toBe(true);
    const other = { user: { id: 'bob' } };
    attachAxessSession(other, anonymous());
    await expect(guard.canActivate(contextOf('ws', [other, {}]))).rejects.toThrow(/a login cannot complete over a WebSocket/);
    expect(calls).toEqual([]);
  });
});
