// Lookup keys: the text ids `lookup` and the annotator search by (queue id, Message-ID, SES id,
// recipient) are indexed by a 32-bit hash instead of the text itself. An index of small integers
// is a third the size of one of 60-character ids and sorts far faster when `ingest` rebuilds it;
// a query matches the hash and then compares the text, so a collision only costs a row read.

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * FNV-1a over the UTF-16 code units, with ASCII A-Z folded to a-z so that a recipient matches in any
 * letter case (SQLite's NOCASE folds exactly those). A signed 32-bit integer, stored in 4 bytes.
 * Never change it: the database holds its values.
 */
export function keyOf(text: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 65 && c <= 90) c |= 32;
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  return h | 0;
}

export function keyOrNull(text: string | null): number | null {
  return text === null ? null : keyOf(text);
}
