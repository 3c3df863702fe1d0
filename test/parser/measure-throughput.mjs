// Throughput of the parser (not a test; run by hand): `npx tsc -p tsconfig.json && node test/parser/measure-throughput.mjs [mixed]`.
// First parseLine on decoded lines (the daemon's path), then LineParser on the raw buffer (ingest's path).
// A synthetic 1M-line log shaped like the seed, read the way a file source would: 64 KiB buffers
// decoded and split into lines. Reports parse-only time, best of 5 runs ("mixed" keeps the
// seed's Japanese placeholder, which makes V8 use two-byte strings).
import { LineParser, parseLine, YearInference } from '../../dist/parser/index.js';
import fs from 'node:fs';
const mixed = process.argv[2] === 'mixed';
let base = fs.readFileSync(new URL('../fixtures/journal-short.log', import.meta.url), 'utf8').split('\n').filter(Boolean);
if (!mixed) base = base.map((l) => l.replace('<<送信先メールアドレス>>', '<someone@example.org>'));
const extra = [
  'Nov 03 13:30:58 ip-172-31-23-99.ec2.internal postfix/smtpd[2980]: connect from unknown[10.0.0.5]',
  'Nov 03 13:30:58 ip-172-31-23-99.ec2.internal postfix/smtpd[2980]: 6375913D8DD: client=unknown[10.0.0.5], sasl_method=PLAIN, sasl_username=user@example.com',
  'Nov 03 13:30:58 ip-172-31-23-99.ec2.internal postfix/smtpd[2980]: disconnect from unknown[10.0.0.5] ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=8',
];
const src = base.concat(extra);
const N = 1_000_000;
const tmp = [];
for (let i = 0; i < N; i++) {
  const l = src[i % src.length];
  const id = (0x100000000 + i * 7919).toString(16).toUpperCase().slice(-11).padStart(11, 'A');
  tmp.push(l.replace(/[0-9A-F]{11}:/, id + ':'));
}
const buf = Buffer.from(tmp.join('\n') + '\n');
const y = new YearInference({ now: () => Date.parse('2025-11-10T00:00:00Z') });
let best = Infinity;
for (let r = 0; r < 5; r++) {
  let events = 0, lines = 0, parseNs = 0n, carry = '';
  const t0 = process.hrtime.bigint();
  for (let off = 0; off < buf.length; off += 65536) {
    const chunk = carry + buf.toString('utf8', off, Math.min(off + 65536, buf.length));
    const parts = chunk.split('\n');
    carry = parts.pop();
    const p0 = process.hrtime.bigint();
    for (const l of parts) { lines++; if (parseLine(l, y).type === 'event') events++; }
    parseNs += process.hrtime.bigint() - p0;
  }
  const total = Number(process.hrtime.bigint() - t0) / 1e9;
  const parseS = Number(parseNs) / 1e9;
  best = Math.min(best, parseS);
  console.log(`${mixed ? 'mixed' : 'ascii'} run ${r}: parse ${(lines / parseS / 1e6).toFixed(2)} M lines/s, with decode+split ${(lines / total / 1e6).toFixed(2)} M lines/s (${lines} lines, ${events} events)`);
}
console.log(`best: ${(N / best / 1e6).toFixed(2)} M lines/s`);
const lp = new LineParser(y);
let bestBytes = Infinity;
for (let r = 0; r < 5; r++) {
  let events = 0;
  const t0 = process.hrtime.bigint();
  for (let s = 0; s < buf.length; ) {
    const nl = buf.indexOf(10, s);
    if (lp.parse(buf, s, nl, buf.length).type === 'event') events++;
    s = nl + 1;
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  bestBytes = Math.min(bestBytes, secs);
  console.log(`bytes run ${r}: ${(N / secs / 1e6).toFixed(2)} M lines/s (${events} events)`);
}
console.log(`best from the buffer: ${(N / bestBytes / 1e6).toFixed(2)} M lines/s`);
