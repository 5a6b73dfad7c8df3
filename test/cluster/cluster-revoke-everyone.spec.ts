import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AxessSessionModule, AxessSessionService, KeyLayout, SessionEndReason, SessionStore } from '../../src/internal';
import { sessionIdsOnShard } from '../harness/cluster-slots';
import { withSharedCluster } from '../harness/shared-cluster.hooks';
import { randomKey, uniquePrefix } from '../harness/valkey';

const shared = withSharedCluster();

describe('Valkey Cluster: revokeEveryone', () => {
  let app: INestApplicationContext;
  const prefix = uniquePrefix('everyone');

  beforeAll(async () => {
    const module = AxessSessionModule.forRoot({
      client: shared.client,
      prefix,
      encryptionKey: randomKey(),
      signingKey: randomKey(),
      mountMiddleware: false,
    });
    app = await (await Test.createTestingModule({ imports: [module] }).compile()).init();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('ends the sessions on every primary (SCAN per primary, single-slot commands only)', async () => {
    const shards = await shared.cluster.shards();
    const keys = new KeyLayout(prefix);
    // Sessions on each shard: a SCAN of one node would miss two thirds of them.
    const ids = shards.flatMap((_shard, index) => sessionIdsOnShard(keys, shards, index, 40));
    const store = app.get(SessionStore);
    await Promise.all(ids.map((id) => store.save(id, { data: {}, createdAt: Date.now(), userId: 'u' }, 600_000)));

    // A multi-slot command would fail with CROSSSLOT and reject the call.
    expect(await app.get(AxessSessionService).revokeEveryone()).toBe(ids.length);

    expect((await store.existing(ids)).size).toBe(0);
    const reasons = await Promise.all(ids.map((id) => store.goneReason(id)));
    expect(new Set(reasons)).toEqual(new Set([SessionEndReason.revokedEveryone]));
  });
});
