/**
 * `npm run bench:memory-recall`: what a recall costs now that hits are
 * scored by relevance (actors/memory/relevance.ts: one extra query per word
 * of the question, to count the user's memories holding it), against the
 * recall it replaced (one ranked full-text query), on the same database in
 * the same process, for both stores; and what storing a turn costs (at the
 * retention cap, so each store also evicts one memory; every commit is on
 * disk before it resolves).
 *
 * A user's store of N memories (1,000 and 10,000, the default cap): 60%
 * turns that carry the built-in responder's long fallback answer (so the
 * common words are in most memories, the worst case for counting), 40%
 * facts made of everyday words. Ten questions (short, long, about a fact,
 * about nothing kept), each asked ROUNDS times; ten turns stored per round;
 * median and p95 per recall and per store.
 *
 * BENCH_BEFORE=<another checkout, its dependencies installed> also times
 * that checkout's SqliteMemoryStore (for instance on its own SQLite driver)
 * in this process, on a copy of the same database, round by round in turn
 * with this one, and prints the ratios.
 * Env: BENCH_ROUNDS (default 30), BENCH_POSTGRES=0 skips PostgreSQL.
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import Database from "libsql";
import pg from "pg";
import { ftsAny } from "../actors/memory/fts-query.js";
import { PostgresMemoryStore } from "../actors/memory/postgres.js";
import { recallTerms } from "../actors/memory/query-terms.js";
import { immediateTransaction } from "../actors/memory/sqlite-driver.js";
import { SqliteMemoryStore } from "../actors/memory/sqlite.js";
import type { MemoryStore } from "../actors/memory/types.js";
import { foldDiacritics, tsAny } from "../actors/memory/tsquery.js";
import { startPostgres } from "../test/helpers/postgres.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const SIZES = [1000, 10_000];
const POSTGRES = process.env.BENCH_POSTGRES !== "0";
const BEFORE = process.env.BENCH_BEFORE ? resolve(process.env.BENCH_BEFORE) : null;

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

interface Timing {
  median: number;
  p95: number;
}

function timings(samples: number[]): Timing {
  const s = [...samples].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, p95: s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]! };
}

/**
 * Time each of `runs` on the same ten inputs per round, the runs taking
 * turns round by round (so a burst of other work on the machine falls on
 * all of them); one warm-up round first.
 */
async function timeEach(runs: Record<string, (i: number) => unknown>, inputs = 10): Promise<Map<string, Timing>> {
  const samples = new Map(Object.keys(runs).map((k) => [k, [] as number[]]));
  let i = 0;
  for (let r = -1; r < ROUNDS; r++) {
    for (const [k, run] of Object.entries(runs)) {
      for (let j = 0; j < inputs; j++, i++) {
        const started = performance.now();
        await run(i);
        if (r >= 0) samples.get(k)!.push(performance.now() - started);
      }
    }
  }
  return new Map([...samples].map(([k, v]) => [k, timings(v)]));
}

const recall = (store: MemoryStore) => (i: number) => store.recall(QUESTIONS[i % QUESTIONS.length]!, { limit: 3 });
const storeTurn = (store: MemoryStore) => (i: number) => store.storeTurn({ turnId: `bench_t${i}`, user: `play the ${WORDS[i % WORDS.length]} song`, assistant: FALLBACK });

const f = (x: number) => `${x.toFixed(3)} ms`;
const t = (x: Timing) => `median ${f(x.median)}, p95 ${f(x.p95)}`;

function line(store: string, n: number, before: Timing, after: Timing): void {
  console.log(`${store.padEnd(10)} ${String(n).padStart(6)}  one ranked query: ${t(before)}  |  relevance recall: ${t(after)}  |  ratio ${(after.median / before.median).toFixed(2)}`);
}

/** The other checkout's store class, loaded from its own tree (and so on its own dependencies). */
async function beforeStore(): Promise<typeof SqliteMemoryStore | null> {
  if (!BEFORE) return null;
  const module = (await import(pathToFileURL(join(BEFORE, "actors/memory/sqlite.ts")).href)) as { SqliteMemoryStore: typeof SqliteMemoryStore };
  return module.SqliteMemoryStore;
}

const dir = mkdtempSync(join(tmpdir(), "coda-bench-recall-"));
const postgres = POSTGRES ? await startPostgres() : null;
const Before = await beforeStore();
try {
  console.log(`recall of 3 hits, ${QUESTIONS.length} questions x ${ROUNDS} rounds; ${QUESTIONS.length} turns stored per round${BEFORE ? `; before: ${BEFORE}` : ""}`);
  for (const n of SIZES) {
    const rows = memories(n);

    // SQLite: migrate through the store, bulk-load in one transaction, reopen.
    const path = join(dir, `memory-${n}.db`);
    await new SqliteMemoryStore({ path, maxItems: n }).close();
    const load = new Database(path);
    const insert = load.prepare(
      "INSERT INTO memories (id, kind, text, user_text, answer, importance, created_at, created_ms, turn_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
    );
    immediateTransaction(load, () => {
      for (const r of rows) insert.run(r.id, r.kind, r.text, r.user, r.answer, r.importance, r.at.toISOString(), r.at.getTime());
    });
    load.pragma("wal_checkpoint(TRUNCATE)");
    load.close();
    const beforePath = join(dir, `memory-${n}-before.db`);
    if (Before) copyFileSync(path, beforePath);

    // The recall this one replaced: one MATCH ranked by BM25, three rows.
    const raw = new Database(path);
    const ranked = raw.prepare(
      `SELECT m.id, m.kind, m.text, m.importance, m.created_at, m.turn_id, m.interrupted, bm25(memories_fts) AS rank
         FROM memories_fts JOIN memories m ON m.seq = memories_fts.rowid
        WHERE memories_fts MATCH ? ORDER BY rank ASC, m.importance DESC, m.created_ms DESC, m.seq DESC LIMIT 3`,
    );
    const sqlite = new SqliteMemoryStore({ path, maxItems: n });
    const before = Before ? new Before({ path: beforePath, maxItems: n }) : null;
    const recalls = await timeEach({
      ranked: (i) => {
        const terms = recallTerms(QUESTIONS[i % QUESTIONS.length]!);
        return terms && ranked.all(ftsAny(terms));
      },
      after: recall(sqlite),
      ...(before ? { before: recall(before) } : {}),
    });
    line("SQLite", n, recalls.get("ranked")!, recalls.get("after")!);
    const stores = await timeEach({ after: storeTurn(sqlite), ...(before ? { before: storeTurn(before) } : {}) });
    console.log(`${"SQLite".padEnd(10)} ${String(n).padStart(6)}  store a turn (at the cap, one evicted): ${t(stores.get("after")!)}`);
    if (before) {
      const ratio = (a: Timing, b: Timing) => `${(a.median / b.median).toFixed(2)} (p95 ${(a.p95 / b.p95).toFixed(2)})`;
      console.log(`${"before".padEnd(10)} ${String(n).padStart(6)}  relevance recall: ${t(recalls.get("before")!)}  |  store a turn: ${t(stores.get("before")!)}`);
      console.log(`${"ratio".padEnd(10)} ${String(n).padStart(6)}  this / before: recall ${ratio(recalls.get("after")!, recalls.get("before")!)}, store ${ratio(stores.get("after")!, stores.get("before")!)}`);
      await before.close();
    }
    await sqlite.close();
    raw.close();
    if (!postgres) continue;

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
    const pgRecalls = await timeEach({
      ranked: async (i) => {
        const terms = recallTerms(QUESTIONS[i % QUESTIONS.length]!);
        if (!terms) return [];
        return (
          await client.query(
            `SELECT m.id, m.kind, m.text, m.importance, m.created_at, m.turn_id, m.interrupted FROM coda_memories m, to_tsquery('coda_english', $2) AS q
              WHERE m.user_id = $1 AND m.search @@ q ORDER BY ts_rank(m.search, q, 1) DESC, m.importance DESC, m.created_at DESC, m.seq DESC LIMIT 3`,
            ["default", tsAny(terms)],
          )
        ).rows;
      },
      after: recall(store),
    });
    line("PostgreSQL", n, pgRecalls.get("ranked")!, pgRecalls.get("after")!);
    const pgStores = await timeEach({ after: storeTurn(store) });
    console.log(`${"PostgreSQL".padEnd(10)} ${String(n).padStart(6)}  store a turn (at the cap, one evicted): ${t(pgStores.get("after")!)}`);
    await client.end();
    await store.close();
  }
} finally {
  await postgres?.close();
  rmSync(dir, { recursive: true, force: true });
}
