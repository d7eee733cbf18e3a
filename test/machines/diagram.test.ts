/**
 * docs/machines.md must be what `npm run docs:machines` generates from the
 * current machine definitions; this fails when someone changes a machine
 * and forgets to regenerate the diagrams. Both diagrams draw every state
 * node and every transition with a target.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { AnyStateNode } from "xstate";
import { getStateNodes } from "xstate/graph";
import { MACHINES_DOC, renderMachinesDoc, renderTurnDiagram, renderVoiceDiagram } from "../../server/docs-gen/write-machines-doc.js";
import { turnMachine } from "../../machines/turn.js";
import { voiceMachine } from "../../machines/voice.js";

describe("docs/machines.md", () => {
  it("is up to date with machines/voice.ts and machines/turn.ts (run `npm run docs:machines`)", () => {
    const doc = readFileSync(MACHINES_DOC, "utf8");
    expect(doc).toBe(renderMachinesDoc());
    expect(doc).toContain(renderVoiceDiagram());
    expect(doc).toContain(renderTurnDiagram());
  });

  it.each([
    ["session", voiceMachine.root, renderVoiceDiagram()],
    ["turn", turnMachine.root, renderTurnDiagram()],
  ] as const)("draws every state node and every targeted transition of the %s machine", (_name, root, diagram) => {
    const nodes = getStateNodes(root as never) as AnyStateNode[];
    for (const n of nodes) expect(diagram).toContain(` as ${n.path.join("_")}`);
    const targeted = nodes.flatMap((n) => [...[...n.transitions.values()].flat(), ...(n.always ?? [])].flatMap((t) => t.target ?? []));
    expect(diagram.split("\n").filter((l) => l.includes(" : "))).toHaveLength(targeted.length);
  });
});
