/**
 * Type-level expectations for the public memory API: every store is a
 * MemoryStore, each method takes the user it acts for, recall resolves
 * MemoryHit[], health is optional for custom stores, and the user reaches
 * tools through ToolContext.
 */
import { describe, expectTypeOf, it } from "vitest";
import type { RecallInput, StoreInput, ToolsInput } from "../../../actors/contracts/index.js";
import type { InMemoryStore } from "../../../actors/memory/in-memory.js";
import type { PostgresMemoryStore } from "../../../actors/memory/postgres.js";
import type { SqliteMemoryStore } from "../../../actors/memory/sqlite.js";
import type { MemoryHealth, MemoryHit, MemoryStore, RecallOptions } from "../../../actors/memory/types.js";
import type { ToolContext, ToolRunner } from "../../../actors/tools/types.js";

describe("memory public types", () => {
  it("every store implements MemoryStore and reports its health", () => {
    expectTypeOf<SqliteMemoryStore>().toExtend<MemoryStore>();
    expectTypeOf<PostgresMemoryStore>().toExtend<MemoryStore>();
    expectTypeOf<InMemoryStore>().toExtend<MemoryStore>();
    expectTypeOf<PostgresMemoryStore["health"]>().returns.toEqualTypeOf<MemoryHealth>();
    expectTypeOf<MemoryStore["health"]>().toEqualTypeOf<(() => MemoryHealth) | undefined>();
  });

  it("each call names its user, optionally", () => {
    expectTypeOf<RecallOptions["userId"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<MemoryStore["recall"]>().parameter(1).toEqualTypeOf<RecallOptions | undefined>();
    expectTypeOf<MemoryStore["recall"]>().returns.resolves.toEqualTypeOf<MemoryHit[]>();
    expectTypeOf<Parameters<MemoryStore["storeTurn"]>[0]["userId"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Parameters<MemoryStore["forget"]>[1]>().toEqualTypeOf<{ userId?: string } | undefined>();
    expectTypeOf<RecallInput["userId"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<StoreInput["userId"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<ToolsInput["userId"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<ToolContext["userId"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<ToolRunner["run"]>().parameter(1).toEqualTypeOf<{ signal: AbortSignal; userId?: string }>();
  });
});
