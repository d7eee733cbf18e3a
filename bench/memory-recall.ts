/**
 * `npm run bench:memory-recall`: what a recall costs now that hits are
 * scored by relevance (actors/memory/relevance.ts: one extra query per word
 * of the question, to count the user's memories holding it), against the
 * recall it replaced (one ranked full-text query), on the same database in
 * the same process, for both stores.
 *
 * A user's store of N memories (1,000 and 10,000, the default cap): 60%
 * turns that carry the built-in responder's long fallback answer (so the
 * common words are in most memories, the worst case for counting), 40%
 * facts made of everyday words. Ten questions (short, long, about a fact,
 * about nothing kept), each asked ROUNDS times; median and p95 per recall.
 * Env: BENCH_ROUNDS (default 30).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { ftsAny } from "../actors/memory/fts-query.js";
import { PostgresMemoryStore } from "../actors/memory/postgres.js";
import { recallTerms } from "../actors/memory/query-terms.js";
import { SqliteMemoryStore } from "../actors/memory/sqlite.js";
import { foldDiacritics, tsAny } from "../actors/memory/tsquery.js";
import { startPostgres } from "../test/helpers/postgres.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const SIZES = [1000, 10_000];

const FALLBACK =
  "Sorry, I can't answer that: I'm Coda's built-in rule-based responder, not a language model. I can tell you the time and date, do arithmetic, and remember facts you tell me and recall them later.";
const WORDS = (
  "apple river garden window mountain coffee violin sister brother garage lighthouse winter summer ticket train " +
  "doctor dentist birthday wedding holiday kitchen bicycle library museum market pepper lemon orange purple green " +
  "football guitar piano painting letter parcel pharmacy bakery school teacher office meeting password locker island"
).split(" ");
const QUESTIONS = [
  "what time is it?",
  "where does my sister live?",
  "when is the dentist?",
  "what's my locker password?",
  "I'm visiting my brother next weekend, any ideas what we could do together in the mountains?",
  "tell me a joke",
  "can you answer a question about the language model?",
  "what did I say about the lighthouse and the island?",
  "remember to buy lemons and pepper at the market",
  "how do I get to the library by train?",
];

/** A deterministic pseudo-random sequence, so every run builds the same store. */
function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

interface Row {
  id: string;
  kind: "turn" | "fact";
  text: string;
  user: string | null;
  answer: string | null;
  importance: number;
  at: Date;
}

function memories(n: number): Row[] {
  const next = random(n);
  const word = () => WORDS[Math.floor(next() * WORDS.length)]!;
  return Array.from({ length: n }, (_, i) => {
    const at = new Date(Date.UTC(2026, 0, 1) + i * 60_000);
    if (i % 5 < 3) {
      const user = `play the ${word()} song about the ${word()}`;
      return { id: `mem_bench_${i}`, kind: "turn", text: `User: ${user}\nAssistant: ${FALLBACK}`, user, answer: FALLBACK, importance: 0.3, at };
    }
    return { id: `mem_bench_${i}`, kind: "fact", text: `My ${word()} is near the ${word()} and the ${word()}`, user: null, answer: null, importance: 0.6, at };
  });
}

function timings(samples: number[]): { median: number; p95: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, p95: s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]! };
}

async function time(fn: (q: string) => unknown): Promise<{ median: number; p95: number }> {
  for (const q of QUESTIONS) await fn(q); // warm caches and statements
  const samples: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const q of QUESTIONS) {
      const started = performance.now();
      await fn(q);
      samples.push(performance.now() - started);
    }
  }
  return timings(samples);
}

function line(store: string, n: number, before: { median: number; p95: number }, after: { median: number; p95: number }): void {
  const f = (x: number) => `${x.toFixed(3)} ms`;
  console.log(
    `${store.padEnd(10)} ${String(n).padStart(6)}  one ranked query: median ${f(before.median)}, p95 ${f(before.p95)}  |  relevance recall: median ${f(after.median)}, p95 ${f(after.p95)}  |  ratio ${(after.median / before.median).toFixed(2)}`,
  );
}

const dir = mkdtempSync(join(tmpdir(), "coda-bench-recall-"));
const postgres = await startPostgres();
try {
  console.log(`recall of 3 hits, ${QUESTIONS.length} questions x ${ROUNDS} rounds`);
  for (const n of SIZES) {
    const rows = memories(n);

    // SQLite: migrate through the store, bulk-load in one transaction, reopen.
    const path = join(dir, `memory-${n}.db`);
    await new SqliteMemoryStore({ path, maxItems: n }).close();
    const raw = new Database(path);
    const insert = raw.prepare(
      "INSERT INTO memories (id, kind, text, user_text, answer, importance, created_at, created_ms, turn_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
    );
    raw.transaction(() => {
      for (const r of rows) insert.run(r.id, r.kind, r.text, r.user, r.answer, r.importance, r.at.toISOString(), r.at.getTime());
    })();
    // The recall this one replaced: one MATCH ranked by BM25, three rows.
    const before = raw.prepare(
      `SELECT m.id, m.kind, m.text, m.importance, m.created_at, m.turn_id, m.interrupted, bm25(memories_fts) AS rank
         FROM memories_fts JOIN memories m ON m.seq = memories_fts.rowid
        WHERE memories_fts MATCH ? ORDER BY rank ASC, m.importance DESC, m.created_ms DESC, m.seq DESC LIMIT 3`,
    );
    const sqlite = new SqliteMemoryStore({ path, maxItems: n });
    const sqliteBefore = await time((q) => {
      const terms = recallTerms(q);
      return terms && before.all(ftsAny(terms));
    });
    const sqliteAfter = await time((q) => sqlite.recall(q, { limit: 3 }));
    line("SQLite", n, sqliteBefore, sqliteAfter);
    await sqlite.close();
    raw.close();

    // PostgreSQL: migrate through the store, bulk-load, ANALYZE.
    const url = await postgres.database(`recall_${n}`);
    const store = await PostgresMemoryStore.open({ url, maxItems: n });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      const values: unknown[] = [];
      const tuples = chunk.map((r, j) => {
        values.push(r.id, r.kind, r.text, r.user, r.answer, r.importance, r.at, foldDiacritics(r.text));
        const b = j * 8;
        return `($${b + 1}, 'default', $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7}, NULL, false, to_tsvector('coda_english', $${b + 8}))`;
      });
      await client.query(`INSERT INTO coda_memories (id, user_id, kind, text, user_text, answer, importance, created_at, turn_id, interrupted, search) VALUES ${tuples.join(", ")}`, values);
    }
    await client.query("ANALYZE coda_memories");
    const postgresBefore = await time(async (q) => {
      const terms = recallTerms(q);
      if (!terms) return [];
      return (
        await client.query(
          `SELECT m.id, m.kind, m.text, m.importance, m.created_at, m.turn_id, m.interrupted FROM coda_memories m, to_tsquery('coda_english', $2) AS q
            WHERE m.user_id = $1 AND m.search @@ q ORDER BY ts_rank(m.search, q, 1) DESC, m.importance DESC, m.created_at DESC, m.seq DESC LIMIT 3`,
          ["default", tsAny(terms)],
        )
      ).rows;
    });
    const postgresAfter = await time((q) => store.recall(q, { limit: 3 }));
    line("PostgreSQL", n, postgresBefore, postgresAfter);
    await client.end();
    await store.close();
  }
} finally {
  await postgres.close();
  rmSync(dir, { recursive: true, force: true });
}
