/**
 * docs/machines.md must be what `npm run docs:machines` generates from the
 * current machine definition; this fails when someone changes the machine
 * and forgets to regenerate the diagram.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MACHINES_DOC, renderMachinesDoc, renderVoiceDiagram } from "../../server/write-machines-doc.js";
import { getStateNodes } from "xstate/graph";
import { voiceMachine } from "../../machines/voice.js";

describe("docs/machines.md", () => {
  it("is up to date with machines/voice.ts (run `npm run docs:machines`)", () => {
    expect(readFileSync(MACHINES_DOC, "utf8")).toBe(renderMachinesDoc());
  });

  it("draws every state node and every targeted transition", () => {
    const diagram = renderVoiceDiagram();
    const nodes = getStateNodes(voiceMachine.root as never);
    for (const n of nodes) expect(diagram).toContain(` as ${n.path.join("_")}`);
    const targeted = nodes.flatMap((n) => [...n.transitions.values()].flat().flatMap((t) => t.target ?? []));
    expect(diagram.split("\n").filter((l) => l.includes(" : "))).toHaveLength(targeted.length);
  });
});
