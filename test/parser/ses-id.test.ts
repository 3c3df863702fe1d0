// The SES message id in a `250 Ok <id>` reply, read by a scan that replaced this regex: the two
// must agree on every reply.
import { describe, expect, it } from 'vitest';
import { sesMessageIdOf } from '../../src/parser/postfix/delivery.js';
import { Rng } from '../../src/bench/generate.js';

const OLD = /^250 [Oo][Kk] ([0-9a-fA-F]+(?:-[0-9a-fA-F]+)+)(?= |$)/;
const old = (reply: string): string | null => OLD.exec(reply)?.[1] ?? null;

describe('sesMessageIdOf', () => {
  it.each([
    ['250 Ok 0100019a49cb2f2e-7af4300a-356d-41dc-9fd3-6a64ebb0a3bf-000000', '0100019a49cb2f2e-7af4300a-356d-41dc-9fd3-6a64ebb0a3bf-000000'],
    ['250 OK 0100019A49CB2F2E-7AF4300A-356D-41DC-9FD3-6A64EBB0A3BF-000000', '0100019A49CB2F2E-7AF4300A-356D-41DC-9FD3-6A64EBB0A3BF-000000'],
    ['250 ok 01-02 and more', '01-02'],
    ['250 Ok 0100019a49cb2f2e', null], // one group is not an SES id
    ['250 Ok 01--02', null],
    ['250 Ok 01-02-', null],
    ['250 Ok -01-02', null],
    ['250 Ok 01-02.', null],
    ['250 Ok 01-0g', null],
    ['250 2.0.0 Ok: queued as 4AB5C6D7E8F', null],
    ['250 Ok', null],
    ['250 Ok ', null],
    ['251 Ok 01-02', null],
    ['250 Qk 01-02', null],
    ['', null],
  ])('%s -> %s', (reply, id) => {
    expect(sesMessageIdOf(reply)).toBe(id);
    expect(old(reply)).toBe(id);
  });

  it('agrees with the regex it replaced on seeded random replies', () => {
    const rng = new Rng(99);
    const rand = (n: number): number => rng.int(0, n - 1);
    const alphabet = '0123456789abcdef0123456789ABCDEF----- gG.kKoO';
    let ids = 0;
    for (let i = 0; i < 50_000; i++) {
      let tail = '';
      for (let k = rand(24); k > 0; k--) tail += alphabet[rand(alphabet.length)];
      const reply = `${['250 Ok ', '250 OK ', '250 ok ', '250 oK', '250 Ok', '25 Ok '][rand(6)]}${tail}`;
      const want = old(reply);
      if (want !== null) ids++;
      if (sesMessageIdOf(reply) !== want) expect({ reply, got: sesMessageIdOf(reply) }).toEqual({ reply, got: want });
    }
    expect(ids).toBeGreaterThan(500);
  });
});
