/**
 * LivePublisher against the real Redis: a burst of engine progress events becomes at most one write per
 * 250 ms (the latest numbers, with a trailing write after the last event), published on the live channel
 * and kept as the connection's snapshot; the run's end is written at once and kept a short while. Skipped
 * without Redis (fails instead when CI=true).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ClusterKeys } from '../../src/cluster/keys.js';
import {
  LIVE_THROTTLE_MS,
  type LiveRun,
  LivePublisher,
  readLive,
  subscribeLive,
} from '../../src/cluster/live-progress.js';
import { openRedis } from '../../src/cluster/redis-connection.js';
import { newStreamSummary } from '../../src/engine/summary.js';
import { dropPrefix, REDIS_TEST_URL, redisReachable, testPrefix, waitFor } from '../helpers/redis.js';

const available = await redisReachable();
const describeRedis = available || process.env.CI === 'true' ? describe : describe.skip;

describeRedis('LivePublisher', () => {
  const prefix = testPrefix('live');
  const keys = new ClusterKeys(prefix);
  const target = { url: REDIS_TEST_URL, prefix };
  const redis = openRedis(target);
  afterAll(async () => {
    redis.disconnect();
    await dropPrefix(prefix);
  });

  it('throttles a burst of progress to one write per 250 ms, keeps the latest numbers, and marks the end', async () => {
    const seen: LiveRun[] = [];
    const unsubscribe = subscribeLive(
      () => openRedis(target),
      keys,
      (r) => seen.push(r),
    );
    try {
      // Wait until the subscription is in place (a message sent before would be lost).
      await waitFor('the subscription', async () =>
        ((await redis.call('PUBSUB', 'NUMSUB', keys.liveChannel)) as [string, number])[1] > 0
          ? true
          : undefined,
      );
      const live = new LivePublisher(redis, keys, {
        connection: 'c1',
        jobId: '42',
        runId: 'run-42',
        worker: 'w',
        startedAt: new Date().toISOString(),
      });
      await live.start();
      const people = newStreamSummary('people', 'incremental');
      people.status = 'running';
      people.startedAt = Date.now();
      const started = Date.now();
      let events = 0;
      while (Date.now() - started < 1000 && events < 10_000) {
        people.records += 10;
        people.pages += 1;
        live.update([people]);
        events++;
        await new Promise((r) => setTimeout(r, 2));
      }
      const elapsed = Date.now() - started;
      const last = people.records;
      // The trailing write carries the last event's numbers.
      await waitFor('the trailing write', async () =>
        seen.at(-1)?.streams[0]?.records === last ? true : undefined,
      );
      const updates = seen.filter((r) => r.streams.length > 0);
      expect(events).toBeGreaterThan(50);
      expect(updates.length).toBeGreaterThanOrEqual(2);
      expect(updates.length).toBeLessThanOrEqual(Math.ceil(elapsed / LIVE_THROTTLE_MS) + 2);
      const snapshot = await readLive(redis, keys, 'c1');
      expect(snapshot).toMatchObject({ connection: 'c1', jobId: '42', runId: 'run-42', worker: 'w' });
      expect(snapshot?.streams).toEqual([
        expect.objectContaining({ stream: 'people', status: 'running', records: last, pages: last / 10 }),
      ]);
      expect(snapshot?.streams[0]?.recordsPerSec).toBeGreaterThan(0);

      people.status = 'succeeded';
      people.endedAt = Date.now();
      await live.end('succeeded', [people]);
      const ended = await readLive(redis, keys, 'c1');
      expect(ended).toMatchObject({ outcome: 'succeeded', streams: [{ status: 'done', records: last }] });
      expect(ended?.endedAt).toBeDefined();
      const ttl = await redis.pttl(keys.live('c1'));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(5 * 60_000);
      // Updates after the end change nothing.
      live.update([{ ...people, records: last + 1 }]);
      expect((await readLive(redis, keys, 'c1'))?.streams[0]?.records).toBe(last);
      expect((await readLive(redis, keys)).map((r) => r.connection)).toEqual(['c1']);
    } finally {
      await unsubscribe();
    }
  });
});
