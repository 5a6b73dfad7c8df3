import { inspect } from 'node:util';
import { ReplyError as UntypedReplyError } from 'iovalkey';
import { SessionStoreError } from '../../src/internal';

/** iovalkey re-exports redis-errors' `ReplyError`, which comes without type declarations. */
const ReplyError = UntypedReplyError as new (message: string) => Error;

/** An error reply as iovalkey hands it over: the command that failed rides along with its arguments. */
function reply(message: string, args: unknown[] = ['axess:sess:SECRET-ID', Buffer.from('sealed-bytes')]): Error {
  const error = new ReplyError(message) as Error & { command?: unknown };
  error.command = { name: 'set', args };
  return error;
}

describe('SessionStoreError.fromClient', () => {
  it.each([
    'LOADING Valkey is loading the dataset in memory',
    'BUSY Valkey is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.',
    "READONLY You can't write against a read only replica.",
    "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
    'CLUSTERDOWN The cluster is down',
    'TRYAGAIN Multiple keys request during rehashing of slot',
    'MISCONF Errors writing to the AOF file: No space left on device',
    'NOREPLICAS Not enough good replicas to write.',
  ])('an availability reply is a connection failure: %s', (message) => {
    const error = SessionStoreError.fromClient('save', reply(message));
    expect(error.kind).toBe('connection');
    expect(error.message).toContain(message.split(' ')[0]);
  });

  it.each([
    'WRONGTYPE Operation against a key holding the wrong kind of value',
    'ERR syntax error',
    'BUSYKEY Target key name already exists.',
    'OOM command not allowed when used memory > maxmemory.',
    'NOSCRIPT No matching script.',
  ])('any other error reply is a command failure: %s', (message) => {
    expect(SessionStoreError.fromClient('save', reply(message)).kind).toBe('command');
  });

  it('a non-reply error (socket, timeout) is a connection failure', () => {
    expect(SessionStoreError.fromClient('load', new Error('Command timed out')).kind).toBe('connection');
    expect(SessionStoreError.fromClient('load', 'something odd').kind).toBe('connection');
  });

  it('keeps the cause but not the command arguments (keys and sealed bytes)', () => {
    const cause = reply('WRONGTYPE Operation against a key holding the wrong kind of value');
    const error = SessionStoreError.fromClient('load', cause);
    expect(error.cause).toBe(cause);
    expect((error.cause as { command: unknown }).command).toEqual({ name: 'set', args: [] });
    const shown = inspect(error, { depth: 10 });
    expect(shown).not.toContain('SECRET-ID');
    expect(shown).not.toContain('sealed-bytes');
    expect(shown).not.toContain(Buffer.from('sealed-bytes').toString('hex').slice(0, 12));
  });

  it('redacts the errors a failed MULTI and a Cluster carry inside', () => {
    const inner = reply('WRONGTYPE Operation against a key holding the wrong kind of value');
    const exec = Object.assign(new ReplyError('EXECABORT Transaction discarded because of previous errors.'), { previousErrors: [inner] });
    const cluster = Object.assign(new Error('Failed to refresh slots cache.'), { lastNodeError: reply('CLUSTERDOWN The cluster is down') });
    expect(inspect(SessionStoreError.fromClient('cycle', exec), { depth: 10 })).not.toContain('SECRET-ID');
    expect(inspect(SessionStoreError.fromClient('load', cluster), { depth: 10 })).not.toContain('SECRET-ID');
  });

  it('wrapping never throws, even for an error that cannot be changed', () => {
    const frozen = Object.freeze(reply('ERR frozen'));
    expect(SessionStoreError.fromClient('load', frozen)).toBeInstanceOf(SessionStoreError);
  });

  it('passes a SessionStoreError through as it is', () => {
    const typed = new SessionStoreError('decrypt', 'does not authenticate');
    expect(SessionStoreError.fromClient('save', typed)).toBe(typed);
  });
});
