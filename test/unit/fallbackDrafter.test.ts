import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  DraftShape,
  FallbackDrafter,
  NgramTable,
  NoDrafter,
  PromptLookupDrafter,
  Random,
  pointMass,
  standThenLookupDrafter,
} from "../../language-server/src/stand";

const shape = DraftShape.chain(4);
/** Tokens 1 2 3 4 5 6, then 1 2 again: prompt lookup proposes 3 4 5 6 after them. */
const context = [1, 2, 3, 4, 5, 6, 1, 2];

/** What the drafter drafts after `context` at T = 0. */
function draftedTokens(drafter: ReturnType<typeof standThenLookupDrafter>): number[] {
  const tree = drafter.draft({ context, shape, temperature: 0, random: new Random(1) });
  return tree.tokens.slice(1);
}

describe("STAND, then prompt lookup", () => {
  test("where the table has nothing after the context, prompt lookup drafts, with its own evidence", () => {
    const drafter = standThenLookupDrafter(new NgramTable());
    assert.deepEqual(draftedTokens(drafter), [3, 4, 5, 6]);
    assert.equal(drafter.assess(context, 0)?.source, "prompt-lookup");
    // A point mass on the copied token: accepted with the target's probability of it.
    assert.equal(drafter.acceptanceIfDrafted(context, { tokens: Int32Array.of(3, 9), probs: Float64Array.of(0.25, 0.75) }, 0), 0.25);
  });

  test("where the table has an entry, the table drafts, and the draft and the budget's evidence both come from it", () => {
    const table = new NgramTable();
    // What the model said after "1 2" elsewhere: 7, then 8 after "2 7".
    table.observeSequence([1, 2, 7, 8]);
    const drafter = standThenLookupDrafter(table);
    assert.deepEqual(draftedTokens(drafter).slice(0, 2), [7, 8]);
    assert.equal(drafter.assess(context, 0)?.source, "stand");
    assert.equal(drafter.acceptanceIfDrafted(context, pointMass(7), 0), 1);
    assert.equal(drafter.acceptanceIfDrafted(context, pointMass(3), 0), 0);
  });

  test("what it learns goes into the table, so the table drafts there next time", () => {
    const table = new NgramTable();
    const drafter = standThenLookupDrafter(table);
    const draft = drafter.draft({ context, shape, temperature: 0, random: new Random(1) });
    // The target's distributions at the draft's root and first node.
    drafter.learn?.(draft, [pointMass(7), pointMass(8)], 0);
    assert.equal(drafter.assess(context, 0)?.source, "stand");
    assert.deepEqual(draftedTokens(drafter).slice(0, 1), [7]);
  });

  test("made of drafters that learn nothing, it has no learn, so the decoder keeps no lessons for it", () => {
    assert.equal(new FallbackDrafter([new NoDrafter(), new PromptLookupDrafter()]).learn, undefined);
    assert.throws(() => new FallbackDrafter([]), RangeError);
  });

  test("with no table entry and no earlier occurrence of the last token, nothing is drafted", () => {
    const drafter = standThenLookupDrafter(new NgramTable());
    const tree = drafter.draft({ context: [1, 2, 3], shape, temperature: 0.7, random: new Random(1) });
    assert.equal(tree.draftedCount, 0);
    assert.equal(drafter.assess([1, 2, 3], 0.7), undefined);
  });
});
