import assert from "node:assert/strict";
import { test } from "node:test";
import { drafterFor } from "../../language-server/src/decoding";
import { DraftShape, NgramTable, Random } from "../../language-server/src/stand";

/** Tokens 1 2 3 4 5 6, then 1 2 again: what followed 1 2 before is 3 4 5 6. */
const context = [1, 2, 3, 4, 5, 6, 1, 2];

test("on a GPU the table drafts, then prompt lookup where it has nothing; on a CPU the table alone", () => {
  const request = { context, shape: DraftShape.chain(4), temperature: 0, random: new Random(1) };
  const gpu = drafterFor(true, new NgramTable());
  assert.equal(gpu.assess(context, 0)?.source, "prompt-lookup");
  assert.deepEqual(gpu.draft(request).tokens.slice(1), [3, 4, 5, 6]);

  const cpu = drafterFor(false, new NgramTable());
  assert.equal(cpu.assess(context, 0), undefined, "an empty table has no evidence, and nothing else drafts");
  assert.deepEqual(cpu.draft(request).tokens.slice(1), []);
});
