import assert from "node:assert/strict";
import { test } from "node:test";
import { PlainCallReference } from "../../language-server/src/stand";

/** A reference (following the latest plain call alone) after a decode's prompts and two plain calls of `sequences` taking 1 ms each. */
function afterTwoPlainCalls(sequences: number): PlainCallReference {
  const reference = new PlainCallReference(1);
  reference.price(sequences, false, 10, 10);
  reference.price(sequences, true, 1, 1);
  reference.price(sequences, true, 1, 1);
  return reference;
}

test("a plain call after a plain call of its size costs its step over its own target time", () => {
  const reference = new PlainCallReference();
  assert.equal(reference.price(4, false, 12, 10), undefined, "a decode's first call (the prompts) has no price");
  assert.equal(reference.price(4, true, 1.1, 1), undefined, "nor the call after it, which pays for the change of shape");
  assert.equal(reference.price(4, true, 1.05, 1), 1.05);
  // The machine halves its speed: a plain call's price stays what the decoder adds around it.
  assert.equal(reference.price(4, true, 2.1, 2), 1.05);
});

test("a draft call and the plain call after it are priced against the size's recent plain calls", () => {
  const reference = afterTwoPlainCalls(4);
  assert.equal(reference.price(4, false, 3, 2.9), 3, "a draft call costs its step in plain calls");
  assert.equal(reference.price(4, true, 1.3, 1.25), 1.3, "the plain call after it pays for the erased tail and the change of shape");
  assert.equal(reference.price(4, true, 1, 1), 1);
});

test("each call size has its own reference, and a size without one prices nothing", () => {
  const reference = afterTwoPlainCalls(4);
  // A trajectory finished: three sequences, a size not seen yet.
  assert.equal(reference.price(3, true, 0.9, 0.9), undefined);
  assert.equal(reference.price(3, false, 2, 2), undefined, "a draft of a size without a reference has no price");
  reference.price(3, true, 0.8, 0.8);
  assert.equal(reference.price(3, true, 0.8, 0.8), 1);
  assert.equal(reference.price(3, false, 2.4, 2.3), 2.4 / 0.8);
});

test("the reference follows the size's plain calls as a running mean", () => {
  const reference = new PlainCallReference(0.5);
  reference.price(1, false, 5, 5);
  reference.price(1, true, 1, 1);
  reference.price(1, true, 1, 1); // reference 1
  reference.price(1, true, 3, 3); // (1 + 3) / 2 = 2
  assert.equal(reference.price(1, false, 4, 4), 2);
});
