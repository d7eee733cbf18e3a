/** Type-level expectations for the client's public API. */
import { describe, expectTypeOf, it } from "vitest";
import type { CodaClient, CodaClientOptions, CommandError, EventMeta } from "../../../server/client/index.js";
import type { EventData, ServerEventOf } from "../../../server/protocol/index.js";

describe("CodaClient types", () => {
  it("types answers, acks and per-type listeners from the protocol schemas", () => {
    expectTypeOf<ReturnType<CodaClient["getSystemInfo"]>>().toEqualTypeOf<Promise<EventData<"system_info">>>();
    expectTypeOf<ReturnType<CodaClient["memorySearch"]>>().toEqualTypeOf<Promise<EventData<"memory_items">>>();
    expectTypeOf<ReturnType<CodaClient["getReplay"]>>().toEqualTypeOf<Promise<EventData<"replay">>>();
    expectTypeOf<ReturnType<CodaClient["demoFlow"]>>().toEqualTypeOf<Promise<EventData<"command_ack">>>();
    expectTypeOf<CodaClient["sttStart"]>().parameter(0).toEqualTypeOf<"push_to_talk" | "continuous" | undefined>();
    // Only type-checked: never called.
    const listen = (client: CodaClient) =>
      client.on("llm_progress", (event, meta) => {
        expectTypeOf(event).toEqualTypeOf<ServerEventOf<"llm_progress">>();
        expectTypeOf(meta).toEqualTypeOf<EventMeta>();
      });
    expectTypeOf(listen).returns.toEqualTypeOf<() => void>();
    expectTypeOf<CommandError["code"]>().toEqualTypeOf<string>();
    expectTypeOf<CodaClientOptions["session"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<CodaClientOptions["user"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<CodaClient["session"]>().toEqualTypeOf<string | null>();
    expectTypeOf<CodaClient["sessionNew"]>().toEqualTypeOf<boolean>();
  });
});
