// The peer: connect-redis on its default client (node-redis), driven the way express-session
// drives it: `get` when the request arrives, `touch` (EXPIRE) when an unmodified session ends the
// request (resave: false), `set` when the handler changed it. express-session's own session
// hashing is left out here (it is in the end-to-end run), which favours the peer.
import { RedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { expressSessionObject } from '../lib/session.fixture.mjs';

/** connect-redis get + touch (one request reading a session) and set (one that changed it). */
export async function connectRedisScenarios({ url, ids }) {
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  const store = new RedisStore({ client });
  const session = expressSessionObject();
  await Promise.all(ids.map((id) => store.set(id, session)));
  return {
    close: () => client.quit(),
    load: [
      {
        name: 'connect-redis get+touch',
        family: 'connect-redis',
        sampleKey: `sess:${ids[0]}`,
        op: async (i) => {
          const id = ids[i % ids.length];
          const sess = await store.get(id);
          if (!sess) throw new Error('session missing');
          await store.touch(id, sess);
        },
      },
    ],
    save: [
      {
        name: 'connect-redis set',
        family: 'connect-redis',
        sampleKey: `sess:${ids[0]}`,
        op: (i) => store.set(ids[i % ids.length], session),
      },
    ],
  };
}
