/**
 * Memory text at the store's edge (issue 26, item 19): a lone UTF-16
 * surrogate is kept as one U+FFFD (SQLite kept it as the invalid UTF-8
 * bytes ED A0 80 and listed it back as three U+FFFD), text is kept in NFC,
 * and cutting long text never leaves half a surrogate pair: in every store,
 * what a call returns is what is listed and recalled later.
 */
import { describe, expect, it } from "vitest";
import { InMemoryStore } from "../../../actors/memory/in-memory.js";
import { SqliteMemoryStore } from "../../../actors/memory/sqlite.js";
import { cutText, memoryText } from "../../../actors/memory/text.js";
import type { MemoryStore } from "../../../actors/memory/types.js";
import { useMemoryStores } from "../../helpers/memory-stores.js";
import { openReadOnly } from "../../helpers/sqlite.js";
import { useTempDir } from "../../helpers/temp-dir.js";

const LONE_HIGH = "\ud800";
const LONE_LOW = "\udc00";

describe("memoryText and cutText", () => {
  it("replaces each lone surrogate with one U+FFFD, keeps pairs, and composes to NFC", () => {
    expect(memoryText(`a${LONE_HIGH}b${LONE_LOW}c`)).toBe("a\ufffdb\ufffdc");
    expect(memoryText(`${LONE_LOW}${LONE_HIGH}`)).toBe("\ufffd\ufffd");
    expect(memoryText("cat 🐈 ok")).toBe("cat 🐈 ok");
    expect(memoryText("Cafe\u0301")).toBe("Café");
    expect(memoryText("Café")).toBe("Café");
    expect(memoryText("a\u0000b")).toBe("a\ufffdb");
  });

  it("cuts before a surrogate pair rather than through it", () => {
    expect(cutText("abcdef", 4)).toBe("abc…");
    expect(cutText("ab🐈cd", 4)).toBe("ab…");
    expect(cutText("abc🐈", 5)).toBe("abc🐈");
    expect(cutText("abcd🐈e", 6)).toBe("abcd…");
  });
});

const databases = useMemoryStores();
const kinds = [
  ...databases.map((kind) => ({ name: kind.name, open: () => kind.open() as Promise<MemoryStore> })),
  { name: "in-memory", open: async (): Promise<MemoryStore> => new InMemoryStore() },
];

describe.each(kinds)("$name store", ({ open }) => {
  it("lists a remembered text with a lone surrogate exactly as the call returned it, with one U+FFFD", async () => {
    const store = await open();
    const fact = await store.remember({ text: `my code word is ${LONE_HIGH}x${LONE_LOW}` });
    expect(fact.text).toBe("my code word is \ufffdx\ufffd");
    expect((await store.list()).map((m) => m.text)).toEqual([fact.text]);
    expect((await store.recall("code word")).map((h) => h.item.text)).toEqual([fact.text]);
  });

  it("keeps NUL as U+FFFD, which every store can hold, and finds no memory by an id holding NUL", async () => {
    const store = await open();
    const fact = await store.remember({ text: "null\u0000byte", turnId: "t\u00001" });
    expect(fact).toMatchObject({ text: "null\ufffdbyte", turnId: "t\ufffd1" });
    expect(await store.list()).toEqual([fact]);
    expect(await store.forget(`${fact.id}\u0000`)).toBe(false);
    expect(await store.forget(fact.id)).toBe(true);
  });

  it("keeps a turn's words and answer well-formed and in NFC", async () => {
    const store = await open();
    const turn = await store.storeTurn({ turnId: "t1", user: `meet at the Cafe\u0301 ${LONE_LOW}`, assistant: `Sure${LONE_HIGH}.` });
    expect(turn.text).toBe("User: meet at the Café \ufffd\nAssistant: Sure\ufffd.");
    expect((await store.list()).map((m) => m.text)).toEqual([turn.text]);
  });
});

describe.each(databases)("$name store: cutting", (kind) => {
  it("never stores half a surrogate pair when it cuts a long text", async () => {
    const store = await kind.open({ maxTextChars: 16 });
    const fact = await store.remember({ text: "abcdefghijklmn🐈🐈🐈" });
    expect(fact.text).toBe("abcdefghijklmn…");
    expect((await store.list()).map((m) => m.text)).toEqual([fact.text]);
  });
});

describe("sqlite file", () => {
  const dir = useTempDir("coda-memory-text-");

  it("holds valid UTF-8: no ED A0 80 for a lone surrogate", async () => {
    const path = `${dir()}/memory.db`;
    const store = new SqliteMemoryStore({ path });
    await store.remember({ text: `lone ${LONE_HIGH} here` });
    await store.close();
    const raw = openReadOnly(path);
    const { hex } = raw.prepare("SELECT hex(CAST(text AS BLOB)) AS hex FROM memories").get() as { hex: string };
    raw.close();
    expect(hex).not.toContain("EDA080");
    expect(Buffer.from(hex, "hex").toString("utf8")).toBe("lone \ufffd here");
  });
});
