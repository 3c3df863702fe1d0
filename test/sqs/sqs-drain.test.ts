import { describe, expect, it } from 'vitest';
import { drainBench } from '../../src/bench/sqs-drain.js';

describe('drainBench (small n; the 10 000 run is the real benchmark)', () => {
  it('drains every message exactly once and deletes them all', async () => {
    const r = await drainBench(250);
    expect(r).toEqual({
      n: 250,
      seconds: expect.any(Number) as number,
      received: 250,
      duplicates: 0,
      enqueueSeconds: expect.any(Number) as number,
      parseFailures: 0,
      consumerFailures: 0,
    });
    expect(r.seconds).toBeGreaterThan(0);
  });

  it('names a bad n', async () => {
    await expect(drainBench(0)).rejects.toThrow('drainBench: n must be a positive integer, got 0');
  });
});
