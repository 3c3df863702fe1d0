// Identifies a log file by its content rather than its inode: inodes are reused after delete and
// change under gzip, but a log's first line (with its timestamp) travels with it through
// rename, copytruncate's copy and compression.
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { constants as zc, gunzipSync } from 'node:zlib';

export const FINGERPRINT_BYTES = 256;
// Enough compressed input to inflate the first FINGERPRINT_BYTES even behind a long gzip header.
const GZ_HEAD_BYTES = 16 * 1024;

/**
 * Fingerprint of a file from its first bytes: a hash of the first line (with its newline), or of
 * the first FINGERPRINT_BYTES when the first line is longer. null while neither is available yet
 * (the file is shorter than that and has no newline), because a partial line would change.
 */
export function fingerprintOf(head: Buffer): string | null {
  const nl = head.indexOf(0x0a);
  let len: number;
  if (nl >= 0 && nl < FINGERPRINT_BYTES) len = nl + 1;
  else if (head.length >= FINGERPRINT_BYTES) len = FINGERPRINT_BYTES;
  else return null;
  return createHash('sha256').update(head.subarray(0, len)).digest('hex').slice(0, 32);
}

/** Fingerprint of an open plain file, read with pread so the file position is not disturbed. */
export async function fingerprintOfHandle(fh: FileHandle): Promise<string | null> {
  const head = Buffer.alloc(FINGERPRINT_BYTES);
  const { bytesRead } = await fh.read(head, 0, FINGERPRINT_BYTES, 0);
  return fingerprintOf(head.subarray(0, bytesRead));
}

/** Fingerprint of the decompressed start of an open gzip file, inflating only its first bytes. */
export async function fingerprintOfGzipHandle(fh: FileHandle): Promise<string | null> {
  const raw = Buffer.alloc(GZ_HEAD_BYTES);
  const { bytesRead } = await fh.read(raw, 0, GZ_HEAD_BYTES, 0);
  // Z_SYNC_FLUSH lets zlib return what it inflated from a truncated input instead of failing.
  const head = gunzipSync(raw.subarray(0, bytesRead), { finishFlush: zc.Z_SYNC_FLUSH });
  return fingerprintOf(head.subarray(0, FINGERPRINT_BYTES));
}
