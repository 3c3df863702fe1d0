// Builds an in-memory index from log lines, for tests that read like a log.
import { Store } from '../../src/db/store.js';
import { Indexer } from '../../src/indexer.js';
import { YearInference } from '../../src/parser/year.js';

/** A year-anchored indexer over an in-memory database; lines are RFC 3164 (`Dec  4 10:00:00 host ...`). */
export function memoryIndex(anchor = Date.UTC(2025, 11, 31, 23, 59, 59)) {
  const store = new Store(':memory:');
  const years = new YearInference({ now: () => anchor });
  const malformed: string[] = [];
  const indexer = new Indexer({ store, years, onMalformed: (reason) => malformed.push(reason) });
  const ingest = (text: string) => {
    const lines = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    indexer.feed(lines);
    return indexer.commit();
  };
  return { store, indexer, ingest, malformed };
}
