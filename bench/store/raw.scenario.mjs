// The floor: plain iovalkey commands carrying the encoded session bytes, no codec, no crypto.
import { encodedRecord, TTL_MS } from '../lib/session.fixture.mjs';

/** Raw `GET`, `GETEX … PX` (a read with sliding expiry) and `SET … PX` of the encoded session. */
export async function rawScenarios({ client, ids }) {
  const bytes = encodedRecord();
  const keys = ids.map((id) => `raw:sess:${id}`);
  await Promise.all(keys.map((key) => client.set(key, bytes, 'PX', TTL_MS)));
  const sampleKey = keys[0];
  return {
    load: [
      { name: 'raw iovalkey GET', family: 'raw', sampleKey, op: (i) => client.getBuffer(keys[i % keys.length]) },
      { name: 'raw iovalkey GETEX PX', family: 'raw', sampleKey, op: (i) => client.getexBuffer(keys[i % keys.length], 'PX', TTL_MS) },
    ],
    save: [{ name: 'raw iovalkey SET PX', family: 'raw', sampleKey, op: (i) => client.set(keys[i % keys.length], bytes, 'PX', TTL_MS) }],
  };
}
