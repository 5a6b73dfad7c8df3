import * as common from '@nestjs/common';
import * as publicApi from '../../src/index';
import * as testing from '../../src/testing';

/** What the package's root entry point gives apps at run time: a deliberate, small list. */
const ROOT_VALUES = [
  'AesGcmSessionCipher',
  'AxessArgumentError',
  'AxessAuthenticatedGuard',
  'AxessConcurrentRotationException',
  'AxessError',
  'AxessHealthService',
  'AxessOptionsError',
  'AxessSession',
  'AxessSessionEvents',
  'AxessSessionLimitException',
  'AxessSessionLimitGraphqlError',
  'AxessSessionMiddleware',
  'AxessSessionModule',
  'AxessSessionNotMountedError',
  'AxessSessionService',
  'AxessUnauthorizedException',
  'AxessUnsupportedContextError',
  'Clock',
  'CurrentSession',
  'InMemorySessionRegistry',
  'InMemorySessionStore',
  'InvalidIdentifierError',
  'MaxSessions',
  'MaxSessionsGuard',
  'RequireRecentAuth',
  'SessionCipher',
  'SessionEndReason',
  'SessionRegistry',
  'SessionStore',
  'SessionStoreError',
  'SystemClock',
  'ValkeySessionRegistry',
  'ValkeySessionStore',
  'findAxessSession',
  'getAxessSession',
];

describe('the public entry point', () => {
  const exported = Object.keys(publicApi).sort();

  it('exports exactly the public runtime values, at most 35', () => {
    expect(exported).toEqual([...ROOT_VALUES].sort());
    expect(exported.length).toBeLessThanOrEqual(35);
  });

  it('exports the errors thrown to apps, each with the reason its answer carries', () => {
    expect(new publicApi.AxessUnauthorizedException('reauthentication-required').getResponse()).toEqual({
      statusCode: 401,
      message: 'Unauthorized',
      reason: 'reauthentication-required',
    });
    expect(new publicApi.AxessUnauthorizedException('revoked').extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'revoked' });
    expect(new publicApi.AxessSessionLimitException().reason).toBe('session-limit');
    expect(new publicApi.AxessSessionLimitException().getStatus()).toBe(409);
    expect(new publicApi.AxessSessionLimitGraphqlError().extensions).toEqual({ code: 'CONFLICT', reason: 'session-limit' });
    expect(new publicApi.AxessConcurrentRotationException().getResponse()).toMatchObject({ reason: 'session-rotated-concurrently' });
    expect(new publicApi.AxessUnsupportedContextError('rpc', 'AxessAuthenticatedGuard')).toBeInstanceOf(publicApi.AxessError);
  });

  it("shares no name with an export of @nestjs/common (an editor's auto-import cannot pick the wrong one)", () => {
    const nest = new Set(Object.keys(common));
    expect(exported.filter((name) => nest.has(name))).toEqual([]);
    expect(Object.keys(testing).filter((name) => nest.has(name))).toEqual([]);
  });

  it('keeps the internals out: no cookie signer, committer, codec, key layout, connection or option resolver', () => {
    for (const internal of [
      'CookieSigner',
      'SessionCookie',
      'SessionCommitter',
      'SessionRecordCodec',
      'SealedRecordFormat',
      'KeyLayout',
      'ValkeyConnection',
      'resolveAxessOptions',
      'LoginPolicy',
      'rawRequest',
      'attachAxessSession',
      'writeAndWait',
      'Session',
      'ValkeyStoreError',
    ]) {
      expect(exported).not.toContain(internal);
    }
  });
});
