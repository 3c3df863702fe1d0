// The byte-level prefix parser (src/parser/prefix.ts) against the string-level one it replaced,
// kept as an oracle in oracle-prefix.ts: real lines, generated lines and seeded mutations of them
// (multi-byte characters, NULs, cut stamps, stray brackets) must read the same, malformed reasons
// included.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parsePrefix } from '../../src/parser/prefix.js';
import { YearInference } from '../../src/parser/year.js';
import { generateLog, Rng } from '../../src/bench/generate.js';
import { parsePrefix as oldParsePrefix } from './oracle-prefix.js';

const fixture = (name: string): string[] =>
  readFileSync(fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url)), 'utf8').split('\n').filter(Boolean);

function generated(): string[] {
  const chunks: string[] = [];
  generateLog({ lines: 5000, seed: 3, start: new Date(Date.UTC(2025, 11, 31, 22)) }, (c) => chunks.push(c));
  return chunks.join('').split('\n').filter(Boolean);
}

/** Both parsers over the same lines in order, each with its own year inference from the same clock. */
function compare(lines: readonly string[]): number {
  const clock = () => Date.UTC(2026, 0, 1, 3);
  const yNew = new YearInference({ now: clock });
  const yOld = new YearInference({ now: clock });
  let malformed = 0;
  for (const line of lines) {
    const got = parsePrefix(line, yNew);
    const want = oldParsePrefix(line, yOld);
    if ('malformed' in want) malformed++;
    // One failing line at a time names itself.
    if (JSON.stringify(got) !== JSON.stringify(want)) expect({ line, got }).toEqual({ line, got: want });
  }
  return malformed;
}

describe('the byte-level prefix parser', () => {
  const real = [...fixture('journal-short.log'), ...fixture('postfix-real.log')];

  it('reads real and generated lines as the string parser did', () => {
    expect(real.length).toBeGreaterThan(50);
    compare(real);
    compare(generated());
  });

  it('reads every error path as the string parser did', () => {
    const crafted = [
      'Nov  3 12:57:23  mx postfix/qmgr[1]: x', // empty host
      'Nov  3 12:57:23 mx',
      'Nov  3 12:57:23 ',
      'Nov  3 12:57:23',
      'Nov  3 12:57:23 mx postfix/\u0001qmgr[1]: x',
      'Nov  3 12:57:23 mx [1]: x',
      'Nov  3 12:57:23 mx : x',
      'Nov  3 12:57:23 mx postfix/qmgr[]: x',
      'Nov  3 12:57:23 mx postfix/qmgr[12: x',
      'Nov  3 12:57:23 mx postfix/qmgr[12] x',
      'Nov  3 12:57:23 mx postfix/qmgr[12]:x',
      'Nov  3 12:57:23 mx postfix/qmgr[12]:',
      'Nov  3 12:57:23 mx postfix/qmgr:',
      'Nov  3 12:57:23 mx postfix/qmgr',
      'Nov  3 12:57:23 mx postfix qmgr: x',
      'Nov  3 12:57:23 mx last message repeated 2 times',
      'Nov  3 12:57:23 mx last message repeated',
      'Nov  3 12:57:23 mx hôst/qmgr[1]: x',
      'Nov  3 12:57:23 hôst postfix/qmgr[1]: x',
      'Nov  3 12:57:23.123456 mx postfix/qmgr[1]: x',
      'Nov  3 12:57:23. mx postfix/qmgr[1]: x',
      'Nov 3 12:57:23 mx postfix/qmgr[1]: x',
      'Nov 31 12:57:23 mx postfix/qmgr[1]: x',
      'Nov 32 12:57:23 mx postfix/qmgr[1]: x',
      'Nov  0 12:57:23 mx postfix/qmgr[1]: x',
      'Nov  3 24:57:23 mx postfix/qmgr[1]: x',
      'Nov  3 12:60:23 mx postfix/qmgr[1]: x',
      'Nov  3 12:57:61 mx postfix/qmgr[1]: x',
      'Nov  3 12:57 mx postfix/qmgr[1]: x',
      'Nov  3 12-57-23 mx postfix/qmgr[1]: x',
      'Nox  3 12:57:23 mx postfix/qmgr[1]: x',
      'Nov',
      'N',
      '',
      '2025-11-03T12:57:23Z mx postfix/qmgr[1]: x',
      '2025-11-03t12:57:23z mx postfix/qmgr[1]: x',
      '2025-11-03T12:57:23.5+09:30 mx postfix/qmgr[1]: x',
      '2025-11-03T12:57:23.5-0930 mx postfix/qmgr[1]: x',
      '2025-11-03T12:57:23 mx postfix/qmgr[1]: x',
      '2025-11-03T12:57:23+24:00 mx postfix/qmgr[1]: x',
      '2025-11-03T12:57:23+09:60 mx postfix/qmgr[1]: x',
      '2025-11-03T12:57:23+09 mx postfix/qmgr[1]: x',
      '2025-11-03T12:57:23Zmx postfix/qmgr[1]: x',
      '2025-13-03T12:57:23Z mx postfix/qmgr[1]: x',
      '2025-11-03 12:57:23Z mx postfix/qmgr[1]: x',
      '2025-11-03T12:57',
      '2',
    ];
    expect(compare(crafted)).toBeGreaterThan(30);
  });

  it('reads seeded mutations of them as the string parser did, malformed reasons included', () => {
    const base = [...real, ...generated().slice(0, 2000)];
    const rng = new Rng(4242);
    const rand = (n: number): number => rng.int(0, n - 1);
    const alphabet = [...'<>[]:;,= ()/-.0123456789ABCDEFabcdefTZ+\t\r', '\u0000', '\u007f', '\u00e9', '\u3042', '\u{1F600}', 'Nov', 'Jan '];
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const chars = [...base[rand(base.length)]!];
      // Most edits land in the prefix, where the two parsers differ in how they read.
      for (let k = rand(4); k >= 0; k--) chars.splice(rand(Math.min(chars.length, 60)), rand(3), alphabet[rand(alphabet.length)]!);
      lines.push(chars.join(''));
    }
    const malformed = compare(lines);
    // The mutations reach the error paths, not only the happy one.
    expect(malformed).toBeGreaterThan(2000);
    expect(malformed).toBeLessThan(18_000);
  });
});
