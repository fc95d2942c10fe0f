import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { INLINE_PROMPT_TOKENS, inlinePromptBudget, windowAround } from "../../language-server/src/promptWindow";

/** A stand-in tokenizer: one token per word or punctuation mark, and one per line break. */
function countTokens(text: string): number {
  return text.match(/\w+|[^\w\s]|\n/g)?.length ?? 0;
}

function lines(count: number, line = (i: number) => `const value${i} = compute(${i}); // line ${i}`): string {
  return Array.from({ length: count }, (_, i) => line(i)).join("\n") + "\n";
}

describe("prompt window", () => {
  test("the budget is the context less the completion and a reserve, capped, and all prefix without FIM", () => {
    assert.deepEqual(inlinePromptBudget(400, 48, true), { prefix: 252, suffix: 84 });
    assert.deepEqual(inlinePromptBudget(400, 48, false), { prefix: 336, suffix: 0 });
    const large = inlinePromptBudget(131072, 48, true);
    assert.equal(large.prefix + large.suffix, INLINE_PROMPT_TOKENS);
    assert.deepEqual(inlinePromptBudget(40, 48, true), { prefix: 0, suffix: 0 });
  });

  test("a small document fits whole", () => {
    const text = lines(5);
    const offset = text.indexOf("line 2") + 4;
    const window = windowAround(text, offset, { prefix: 500, suffix: 500 }, countTokens);
    assert.equal(window.prefix + window.suffix, text);
    assert.deepEqual([window.start, window.end], [0, text.length]);
  });

  for (const [name, fraction] of [
    ["start", 0],
    ["middle", 0.5],
    ["end", 1],
  ] as const) {
    test(`in a 10,000-line document (cursor at the ${name}) the window fills its budget with whole lines`, () => {
      const text = lines(10_000);
      const offset = Math.min(text.length, Math.floor(text.length * fraction) + 7);
      const budget = { prefix: 300, suffix: 100 };
      let counted = 0;
      const window = windowAround(text, offset, budget, (part) => {
        counted += part.length;
        return countTokens(part);
      });
      assert.equal(text.slice(window.start, window.end), window.prefix + window.suffix);
      assert.equal(window.start + window.prefix.length, offset);
      assert.ok(countTokens(window.prefix) <= budget.prefix && countTokens(window.suffix) <= budget.suffix);
      // Whole lines, except where the document itself ends.
      assert.ok(window.start === 0 || text[window.start - 1] === "\n", "the prefix starts at a line start");
      assert.ok(window.end === text.length || text[window.end - 1] === "\n", "the suffix ends after a line break");
      // Nearly the whole budget is used where there is text for it (one more line would not fit).
      if (offset > 2000) assert.ok(countTokens(window.prefix) > budget.prefix - 20, `prefix ${countTokens(window.prefix)} tokens`);
      if (text.length - offset > 2000)
        assert.ok(countTokens(window.suffix) > budget.suffix - 20, `suffix ${countTokens(window.suffix)} tokens`);
      assert.ok(counted < 40 * (budget.prefix + budget.suffix) * 4, `tokenized ${counted} characters of ${text.length}`);
    });
  }

  test("a cursor line longer than the budget is cut inside the line, never inside a surrogate pair", () => {
    const text = `${"😀 ".repeat(20_000)}|${" a".repeat(20_000)}`;
    const offset = text.indexOf("|");
    const window = windowAround(text, offset, { prefix: 50, suffix: 50 }, countTokens);
    assert.ok(window.prefix.length > 0 && window.suffix.length > 0);
    assert.ok(countTokens(window.prefix) <= 50 && countTokens(window.suffix) <= 50);
    assert.ok(!/^[\udc00-\udfff]/.test(window.prefix), "the prefix does not start with half an emoji");
  });

  test("a zero budget gives an empty side", () => {
    const text = lines(100);
    const window = windowAround(text, 500, { prefix: 0, suffix: 0 }, countTokens);
    assert.deepEqual([window.prefix, window.suffix], ["", ""]);
  });
});
