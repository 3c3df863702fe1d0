// Finds where a log file went after rotation or copytruncate happened while we were not looking:
// siblings named like `mail.log.1`, `mail.log-20251103`, `mail.log.1.gz` or Postfix's
// `mail.log.20251103-125723.gz` (maillog_file_rotate_suffix, then maillog_file_compressor).
import { open, readdir, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fingerprintOfGzipHandle, fingerprintOfHandle } from './file-fingerprint.js';
import { isGzipHandle } from './lines.js';

export interface FileIdentity {
  dev: number;
  ino: number;
  /** '' when unknown (nothing read yet): then only dev+ino can identify the file. */
  fingerprint: string;
}

export interface RotatedFile {
  kind: 'plain' | 'gzip';
  path: string;
  fh: FileHandle;
}

/** Sibling names a rotation of `base` can produce; the live file itself is not one. */
export function isRotationName(base: string, name: string): boolean {
  return name !== base && (name.startsWith(`${base}.`) || name.startsWith(`${base}-`));
}

/** The paths of the siblings of `livePath` named like its rotations, in name order; none if the directory cannot be read. */
async function rotationSiblings(livePath: string): Promise<string[]> {
  const dir = dirname(livePath);
  const base = basename(livePath);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => isRotationName(base, n))
    .sort()
    .map((n) => join(dir, n));
}

interface Candidate extends RotatedFile {
  rank: number;
  mtimeMs: number;
}

async function examine(
  path: string,
  want: FileIdentity,
  minBytes: number,
  exclude: { dev: number; ino: number } | null,
): Promise<Candidate | null> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch {
    return null; // vanished (gzip finished) or unreadable: not a usable candidate
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || (exclude && st.dev === exclude.dev && st.ino === exclude.ino)) throw new Error('skip');
    const sameInode = st.dev === want.dev && st.ino === want.ino;
    const gz = await isGzipHandle(fh);
    if (!want.fingerprint) {
      if (!sameInode || gz) throw new Error('skip');
      return { kind: 'plain', path, fh, rank: 0, mtimeMs: st.mtimeMs };
    }
    const fp = gz ? await fingerprintOfGzipHandle(fh) : await fingerprintOfHandle(fh);
    // A gzip's inflated size is unknown without inflating it all; a short one simply ends early.
    if (fp !== want.fingerprint || (!gz && st.size < minBytes)) throw new Error('skip');
    const rank = gz ? 2 : sameInode ? 0 : 1;
    return { kind: gz ? 'gzip' : 'plain', path, fh, rank, mtimeMs: st.mtimeMs };
  } catch {
    await fh.close().catch(() => undefined);
    return null;
  }
}

/**
 * The sibling of `livePath` that holds the file identified by `want` at least `minBytes` long:
 * preferably the same inode (renamed), else a plain file with the same first line (copytruncate's
 * copy), else a gzip whose inflated first line matches. `exclude` is the live file's inode, which
 * cannot be its own rotated copy. The caller owns (and must close) the returned handle.
 */
export async function findRotatedFile(
  livePath: string,
  want: FileIdentity,
  minBytes: number,
  exclude: { dev: number; ino: number } | null,
): Promise<RotatedFile | null> {
  const found: Candidate[] = [];
  for (const path of await rotationSiblings(livePath)) {
    const c = await examine(path, want, minBytes, exclude);
    if (c) found.push(c);
  }
  // Newest first within a rank: with several copies of the same start, the latest holds the most.
  found.sort((a, b) => a.rank - b.rank || b.mtimeMs - a.mtimeMs);
  const [best, ...rest] = found;
  await Promise.all(rest.map((c) => c.fh.close().catch(() => undefined)));
  return best ? { kind: best.kind, path: best.path, fh: best.fh } : null;
}

/** Real rotations (daily, or `postfix logrotate`) are far more than a second apart. */
const SAME_MOMENT_MS = 1000;

export interface LaterRotation extends RotatedFile {
  id: FileIdentity;
}

/**
 * Rotated siblings written after the file we stopped in, oldest first: when the log rotated more
 * than once while we were down, the files in between hold lines nobody has read yet. A sibling is
 * later when its mtime is, by more than SAME_MOMENT_MS (rotation keeps mtimes, gzip too; a file
 * copied or compressed in the same moment as ours is not a later rotation). Copies of one file
 * (`.1` beside `.1.gz` during compression) are read once; the live file and ours are excluded.
 */
export async function findLaterRotations(
  livePath: string,
  afterMtimeMs: number,
  exclude: { dev: number; ino: number; fingerprint: string | null }[],
): Promise<LaterRotation[]> {
  const seen = new Set(exclude.map((e) => e.fingerprint).filter((f): f is string => !!f));
  const found: Array<LaterRotation & { mtimeMs: number }> = [];
  for (const path of await rotationSiblings(livePath)) {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch {
      continue;
    }
    try {
      const st = await fh.stat();
      if (!st.isFile() || st.mtimeMs <= afterMtimeMs + SAME_MOMENT_MS || exclude.some((e) => e.dev === st.dev && e.ino === st.ino)) throw new Error('skip');
      const gz = await isGzipHandle(fh);
      const fp = gz ? await fingerprintOfGzipHandle(fh) : await fingerprintOfHandle(fh);
      if (fp === null) throw new Error('skip'); // empty or no complete first line: nothing to read
      found.push({ kind: gz ? 'gzip' : 'plain', path, fh, id: { dev: st.dev, ino: st.ino, fingerprint: fp }, mtimeMs: st.mtimeMs });
    } catch {
      await fh.close().catch(() => undefined);
    }
  }
  found.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.kind === 'plain' ? -1 : 1));
  const out: LaterRotation[] = [];
  for (const f of found) {
    if (seen.has(f.id.fingerprint)) {
      await f.fh.close().catch(() => undefined);
      continue;
    }
    seen.add(f.id.fingerprint);
    out.push({ kind: f.kind, path: f.path, fh: f.fh, id: f.id });
  }
  return out;
}
