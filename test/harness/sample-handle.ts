import { sendHttpRequest } from './http-request';

/** The session id inside a session cookie pair (`axess.sid=<id>.<mac>`). */
export const sessionIdOfCookie = (cookie: string): string => cookie.split('=')[1].split('.')[0];

/**
 * The public handle a running sample gives the session of `cookie` (its `GET /me`): what its
 * routes take instead of the session id. Asked of the sample, so it works on any sample under
 * test (in this process, a child process, another instance).
 */
export async function sampleHandleOf(url: string, cookie: string): Promise<string> {
  const me = await sendHttpRequest(url, 'GET', '/me', { cookie });
  expect(me.status).toBe(200);
  const handle = (me.body as { handle?: unknown }).handle;
  expect(handle).toEqual(expect.stringMatching(/^[A-Za-z0-9_-]{22}$/));
  expect(handle).not.toContain(sessionIdOfCookie(cookie));
  return handle as string;
}
