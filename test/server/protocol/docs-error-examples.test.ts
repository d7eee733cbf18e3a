/**
 * The examples in docs/protocol.md's error table say what the server does:
 * each "(e.g. `command` while <state>)" of the `busy` and `invalid_state`
 * rows is run against the real bridge in that state, and the refusal's code
 * must be the row's code.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { PipelineCommand } from "../../../server/pipeline/pipeline.js";
import { ProtocolError } from "../../../server/protocol/index.js";
import { ROOT } from "../../helpers/cli.js";
import { client, createFixture, type Fixture } from "../pipeline/bridge-fixture.js";

const doc = readFileSync(join(ROOT, "docs/protocol.md"), "utf8");

/** The example of a row: its command type and the state named after "while". */
function example(code: string): { command: string; state: string } {
  const row = new RegExp(`^\\| \`${code}\` \\| .*\\(e\\.g\\. \`(\\w+)\`(?: or \`\\w+\`)? while ([\\w ]+)\\)`, "m").exec(doc);
  if (!row) throw new Error(`docs/protocol.md has no "(e.g. \`command\` while state)" example for ${code}`);
  return { command: row[1]!, state: row[2]!.trim() };
}

const DATA: Record<string, PipelineCommand["data"]> = {
  stt_start: { mode: "push_to_talk" },
  stt_stop: {},
  demo_flow: { text: "demo" },
  text_input: { text: "hi" },
  stop_speaking: {},
};

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

/** A bridge in the state the doc names. */
async function bridgeIn(state: string): Promise<Fixture> {
  if (state === "idle") return createFixture();
  if (/^(thinking|a turn is running)$/.test(state)) {
    const f = createFixture({ llm: { hang: true } });
    f.bridge.dispatch({ type: "text_input", data: { text: "hi" } }, client);
    await f.waitFor((e) => e.type === "llm_start");
    return f;
  }
  throw new Error(`no setup for the state "${state}" named in docs/protocol.md`);
}

describe("docs/protocol.md error examples", () => {
  it.each(["busy", "invalid_state"])("the %s example is refused with that code", async (code) => {
    const { command, state } = example(code);
    fx = await bridgeIn(state);
    let error: unknown;
    try {
      fx.bridge.dispatch({ type: command, data: DATA[command] } as PipelineCommand, client);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe(code);
  });
});
