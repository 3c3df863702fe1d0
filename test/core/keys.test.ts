// The lookup keys are stored in every database: keyOf must never change its values. The golden
// values below came from the first version (plain FNV-1a over UTF-16 code units, A-Z folded).
import { describe, expect, it } from 'vitest';
import { keyOf, keyOrNull } from '../../src/db/keys.js';
import { Rng } from '../../src/bench/generate.js';

/** The first version, as written then: the reference the faster one must match. */
function reference(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 65 && c <= 90) c |= 32;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h | 0;
}

describe('keyOf', () => {
  it.each([
    ['', -2128831035],
    ['a', -468965076],
    ['A', -468965076],
    ['4AB5C6D7E8F', 297762244],
    ['User@Example.COM', -576059909],
    ['user@example.com', -576059909],
    ['0100019a49cb2f2e-7af4300a-356d-41dc-9fd3-6a64ebb0a3bf-000000', 828801624],
    ['<<送信先メールアドレス>>', 349886743],
    ['ÀÉ@ü.de', -640228021],
  ])('keeps the value of %j', (text, key) => {
    expect(keyOf(text)).toBe(key);
  });

  it('matches the first version on seeded random strings of any script', () => {
    const rng = new Rng(1);
    for (let i = 0; i < 50_000; i++) {
      let s = '';
      for (let j = i % 70; j > 0; j--) {
        const x = rng.u32();
        s += String.fromCharCode(x % 7 === 0 ? (x >>> 8) % 0x3000 : 32 + ((x >>> 8) % 95));
      }
      if (keyOf(s) !== reference(s)) expect({ s, key: keyOf(s) }).toEqual({ s, key: reference(s) });
    }
    expect(keyOrNull(null)).toBeNull();
  });
});
