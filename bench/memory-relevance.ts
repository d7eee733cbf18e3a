/**
 * `npm run bench:memory-relevance`: where to put the recall floor
 * (`memoryMinScore`), measured on real recalls.
 *
 * 1. A new user's conversations run through the real server (createCodaServer,
 *    the built-in responder, typed turns over a WebSocket) into a SQLite
 *    memory file: facts told once, then everyday chatter again in each of
 *    six sessions (greetings, the time, arithmetic, questions the built-in
 *    responder cannot answer, so most stored turns carry its long fallback
 *    answer). After sessions 1, 3 and 6 the store is measured.
 * 2. Each measurement asks labelled questions the way the turn's own recall
 *    does (the utterance as the query, 3 hits): questions about a fact told
 *    earlier (a hit is relevant when its text is about that fact) and
 *    questions about nothing kept (every hit is unrelated).
 * 3. The same memories are copied into a real PostgreSQL (test/helpers/postgres.ts)
 *    and asked the same questions.
 *
 * Printed per store and store size: each engine's raw figure (SQLite's
 * -bm25, PostgreSQL's ts_rank) and the relevance score (0..1,
 * actors/memory/relevance.ts) of relevant and unrelated hits, and for each
 * candidate floor the share of relevant hits kept and the unrelated hits
 * still shown per question.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import WebSocket from "ws";
import { ftsAny } from "../actors/memory/fts-query.js";
import { PostgresMemoryStore } from "../actors/memory/postgres.js";
import { recallTerms } from "../actors/memory/query-terms.js";
import { DEFAULT_MIN_SCORE } from "../actors/memory/relevance.js";
import { SqliteMemoryStore } from "../actors/memory/sqlite.js";
import { tsAny } from "../actors/memory/tsquery.js";
import type { MemoryHit, MemoryStore } from "../actors/memory/types.js";
import { createCodaServer } from "../server/app/app.js";
import { silentLogger } from "../server/app/logger.js";
import { startPostgres } from "../test/helpers/postgres.js";

const FACTS = [
  "remember that my sister lives in Lisbon",
  "remember that my cat is called Miso",
  "remember that I'm allergic to peanuts",
  "remember that my favourite colour is green",
  "remember that my dentist appointment is on Friday at 3pm",
  "remember that my wife's birthday is on June 12",
  "remember that I park on level 3 of the garage",
  "remember that my daughter plays the violin",
  "remember that I prefer tea to coffee in the morning",
  "remember that the wifi password is on the fridge",
];

/** One session of everyday chatter; most of it is answered with the built-in responder's fallback. */
const CHATTER = [
  "hello",
  "what can you do",
  "what time is it",
  "what's the date today",
  "what is 12 times 7",
  "tell me a joke",
  "what's the weather like today",
  "who are you",
  "how are you",
  "what's 15 percent of 80",
  "play some music",
  "set a timer for 10 minutes",
  "what's the capital of France",
  "how far away is the moon",
  "translate good morning into Spanish",
  "what should I cook for dinner tonight",
  "turn on the lights in the kitchen",
  "is it going to rain tomorrow",
  "what's the news today",
  "thank you",
  "goodbye",
];

/** Questions the turn's recall gets. `about` marks the memories that answer it; null: nothing kept is about it. */
const QUESTIONS: { ask: string; about: RegExp | null }[] = [
  { ask: "where does my sister live?", about: /sister|lisbon/i },
  { ask: "what's my cat's name?", about: /\bcat\b|miso/i },
  { ask: "can I eat peanut butter?", about: /peanut/i },
  { ask: "what colour do I like?", about: /colou?r/i },
  { ask: "when is the dentist?", about: /dentist/i },
  { ask: "when is my wife's birthday?", about: /birthday|wife/i },
  { ask: "where did I park the car?", about: /\bpark/i },
  { ask: "what instrument does my daughter play?", about: /daughter|violin/i },
  { ask: "I'm visiting my sister next weekend, any ideas what we could do together?", about: /sister|lisbon/i },
  { ask: "should I have tea or coffee this morning?", about: /\btea\b|coffee/i },
  { ask: "what is the wifi password?", about: /wifi|password/i },
  { ask: "what time is it?", about: null },
  { ask: "what's the date today?", about: null },
  { ask: "tell me a story", about: null },
  { ask: "can you answer a question for me?", about: null },
  { ask: "set an alarm for seven", about: null },
  { ask: "what's a good name for a dog?", about: null },
  { ask: "how do I configure a language model?", about: null },
  { ask: "what's the time in Tokyo?", about: null },
  { ask: "remember to buy milk", about: null },
];

const FLOORS = [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4];

/** What is said before each measurement: the first fact alone, then session 1 (the other facts among chatter), then sessions 2-3 and 4-6. */
const STEPS: { label: string; say: string[] }[] = [
  { label: "the first fact", say: [FACTS[0]!] },
  { label: "1 session", say: [...CHATTER.slice(0, 8), ...FACTS.slice(1), ...CHATTER.slice(8)] },
  { label: "3 sessions", say: [...CHATTER, ...CHATTER] },
  { label: "6 sessions", say: [...CHATTER, ...CHATTER, ...CHATTER] },
];
/** FTS5's BM25 gives a word found in more than half of the memories an IDF of 1e-6: the "scored around 1e-6" of issue 26. */
const COLLAPSED = 1e-3;

interface Measured {
  relevant: { score: number; raw: number }[];
  unrelated: { score: number; raw: number }[];
  /** Relevant hits per question at each floor, and unrelated ones. */
  perFloor: { floor: number; relevantKept: number; unrelatedShown: number }[];
}

async function converse(url: string, utterances: string[]): Promise<void> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => ws.once("open", () => resolve()).once("error", reject));
  let waiting: (() => void) | null = null;
  ws.on("message", (raw) => {
    const event = JSON.parse(String(raw)) as { type: string };
    if (event.type === "latency_trace") waiting?.();
  });
  for (const text of utterances) {
    const done = new Promise<void>((resolve) => (waiting = resolve));
    ws.send(JSON.stringify({ type: "text_input", data: { text }, timestamp: new Date().toISOString() }));
    await done;
  }
  ws.close();
}

async function measure(store: MemoryStore, raw: (query: string, text: string) => Promise<number>): Promise<Measured> {
  const m: Measured = { relevant: [], unrelated: [], perFloor: FLOORS.map((floor) => ({ floor, relevantKept: 0, unrelatedShown: 0 })) };
  for (const q of QUESTIONS) {
    const hits: MemoryHit[] = await store.recall(q.ask, { limit: 3, minScore: 0 });
    for (const hit of hits) {
      const relevant = q.about !== null && q.about.test(hit.item.text);
      if (process.env.BENCH_VERBOSE) console.log(`    ${relevant ? "+" : "-"} ${hit.score.toFixed(3)} ${JSON.stringify(q.ask)} -> ${JSON.stringify(hit.item.text.slice(0, 90))}`);
      (relevant ? m.relevant : m.unrelated).push({ score: hit.score, raw: await raw(q.ask, hit.item.text) });
      for (const f of m.perFloor) {
        if (hit.score < f.floor) continue;
        if (relevant) f.relevantKept++;
        else f.unrelatedShown++;
      }
    }
  }
  return m;
}

function quantiles(values: number[]): string {
  if (values.length === 0) return "none";
  const v = [...values].sort((a, b) => a - b);
  const at = (p: number) => v[Math.min(v.length - 1, Math.floor(p * v.length))]!;
  const f = (x: number) => (Math.abs(x) < 0.001 && x !== 0 ? x.toExponential(1) : x.toFixed(3));
  return `min ${f(v[0]!)}  p25 ${f(at(0.25))}  median ${f(at(0.5))}  max ${f(v.at(-1)!)}  (n=${v.length})`;
}

function report(label: string, n: number, m: Measured, rawName: string): void {
  console.log(`\n${label}, ${n} memories`);
  if (rawName === "-bm25") {
    const collapsed = (hits: { raw: number; score: number }[]) => hits.filter((h) => h.raw < COLLAPSED);
    const bad = collapsed(m.unrelated);
    const good = collapsed(m.relevant);
    console.log(
      `  hits with -bm25 < ${COLLAPSED}: ${bad.length} unrelated (relevance at most ${bad.length ? Math.max(...bad.map((h) => h.score)).toFixed(3) : "-"}), ` +
        `${good.length} relevant (relevance at least ${good.length ? Math.min(...good.map((h) => h.score)).toFixed(3) : "-"})`,
    );
  }
  console.log(`  ${rawName} of relevant hits:  ${quantiles(m.relevant.map((h) => h.raw))}`);
  console.log(`  ${rawName} of unrelated hits: ${quantiles(m.unrelated.map((h) => h.raw))}`);
  console.log(`  relevance of relevant hits:  ${quantiles(m.relevant.map((h) => h.score))}`);
  console.log(`  relevance of unrelated hits: ${quantiles(m.unrelated.map((h) => h.score))}`);
  const atDefault = (hits: { score: number }[]) => hits.filter((h) => h.score >= DEFAULT_MIN_SCORE).length;
  console.log(
    `  default floor ${DEFAULT_MIN_SCORE}: ${atDefault(m.relevant)}/${m.relevant.length} relevant hits kept, ` +
      `${m.unrelated.length - atDefault(m.unrelated)}/${m.unrelated.length} unrelated hits dropped`,
  );
  console.log("  floor  relevant kept  unrelated shown per question");
  const all = m.perFloor[0]!.relevantKept;
  for (const f of m.perFloor) {
    console.log(`  ${f.floor.toFixed(2).padStart(5)}  ${`${f.relevantKept}/${all}`.padStart(13)}  ${(f.unrelatedShown / QUESTIONS.length).toFixed(2).padStart(8)}`);
  }
}

const dir = mkdtempSync(join(tmpdir(), "coda-bench-relevance-"));
const file = join(dir, "memory.db");
const postgres = await startPostgres();
try {
  const coda = await createCodaServer({ host: "127.0.0.1", port: 0, memoryDb: file, llmEngine: "builtin", ttsEngine: "none", sttEngine: "none", logger: silentLogger });
  try {
    for (const [step, { label, say }] of STEPS.entries()) {
      await converse(coda.url, say);

      // SQLite, read by a second connection while the server keeps the file open (WAL).
      const sqlite = new SqliteMemoryStore({ path: file });
      const db = new Database(file, { readonly: true });
      const bm25 = db.prepare("SELECT -bm25(memories_fts) AS s FROM memories_fts JOIN memories m ON m.seq = memories_fts.rowid WHERE memories_fts MATCH ? AND m.text = ?").pluck();
      const n = await sqlite.count();
      const onSqlite = await measure(sqlite, async (q, text) => (bm25.get(ftsAny(recallTerms(q)!), text) as number) + 0);
      report(`SQLite after ${label}`, n, onSqlite, "-bm25");

      // The same memories in PostgreSQL.
      const url = await postgres.database(`relevance_${step}`);
      const store = await PostgresMemoryStore.open({ url });
      const rows = db.prepare("SELECT kind, text, user_text, answer, importance, created_at, turn_id, interrupted FROM memories ORDER BY seq").all() as {
        kind: "turn" | "fact" | "preference";
        text: string;
        user_text: string | null;
        answer: string | null;
        importance: number;
        created_at: string;
        turn_id: string | null;
        interrupted: number;
      }[];
      for (const r of rows) {
        if (r.kind === "turn") await store.storeTurn({ turnId: r.turn_id ?? "t", user: r.user_text ?? "", assistant: r.answer ?? "", interrupted: r.interrupted === 1, at: new Date(r.created_at) });
        else await store.remember({ text: r.text, kind: r.kind, importance: r.importance });
      }
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const onPostgres = await measure(store, async (q, text) => {
        const { rows: ranked } = await client.query<{ r: number }>("SELECT ts_rank(search, to_tsquery('coda_english', $1), 1) AS r FROM coda_memories WHERE text = $2 LIMIT 1", [tsAny(recallTerms(q)!), text]);
        return ranked[0]?.r ?? Number.NaN;
      });
      report(`PostgreSQL after ${label}`, n, onPostgres, "ts_rank");
      await client.end();
      await store.close();
      db.close();
      await sqlite.close();
    }
  } finally {
    await coda.stop();
  }
} finally {
  await postgres.close();
  rmSync(dir, { recursive: true, force: true });
}
