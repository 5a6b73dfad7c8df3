// The targets: the same primitives composed inline with nothing else. msgpackr, AES-256-GCM
// with a key imported once (session id as associated data, like the product), iovalkey
// GETEX/SET. No validation, no error mapping, no options. The plaintext variant drops the
// cipher: it is the floor plus the codec.
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from 'node:crypto';
import { Packr } from 'msgpackr';
import { recordArray, sessionRecord, TTL_MS } from '../lib/session.fixture.mjs';

/** Inline load (GETEX PX + open + unpack) and save (pack + seal + SET PX), with or without the cipher. */
export async function idealScenarios({ client, ids, keyBytes }, { encrypted }) {
  const key = createSecretKey(keyBytes);
  const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });
  const record = sessionRecord();
  const label = encrypted ? 'encrypted' : 'plaintext';
  const keys = ids.map((id) => `ideal-${label}:sess:${id}`);

  const seal = (id, plain) => {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(Buffer.from(`axess-session:v1:${id}`));
    const body = cipher.update(plain);
    cipher.final();
    return Buffer.concat([nonce, body, cipher.getAuthTag()]);
  };
  const open = (id, sealed) => {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12), { authTagLength: 16 });
    decipher.setAAD(Buffer.from(`axess-session:v1:${id}`));
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    const plain = decipher.update(sealed.subarray(12, sealed.length - 16));
    decipher.final();
    return plain;
  };
  const save = encrypted
    ? (i) => {
        const n = i % ids.length;
        return client.set(keys[n], seal(ids[n], packr.pack(recordArray(record))), 'PX', TTL_MS);
      }
    : (i) => client.set(keys[i % ids.length], packr.pack(recordArray(record)), 'PX', TTL_MS);
  const load = encrypted
    ? async (i) => {
        const n = i % ids.length;
        return packr.unpack(open(ids[n], await client.getexBuffer(keys[n], 'PX', TTL_MS)));
      }
    : async (i) => packr.unpack(await client.getexBuffer(keys[i % ids.length], 'PX', TTL_MS));

  await Promise.all(ids.map((_, n) => save(n)));
  const family = `ideal-${label}`;
  return {
    load: [
      { name: `ideal ${label} load (inline${encrypted ? ' GETEX+open+unpack' : ' GETEX+unpack'})`, family, sampleKey: keys[0], op: load },
    ],
    save: [{ name: `ideal ${label} save (inline${encrypted ? ' pack+seal+SET' : ' pack+SET'})`, family, sampleKey: keys[0], op: save }],
  };
}
