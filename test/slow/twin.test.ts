// A cost twin (tools/twin, `npm run model:twin`) computes the embedded model's function (that of
// its F16 source, which the shipped Q8_0 file quantises): made at test time into a temporary folder
// and loaded by node-llama-cpp on the CPU, it gives the same greedy continuations and the same
// logits up to F16 rounding. The tiny shape has every kind of padding the real shapes need, a
// longer head included; qwen2.5-0.5b (731 MB) is a real size. One fixture (the embedded model's
// reference) serves both. In `npm run test:slow` (CI runs it): writing and loading twins takes a
// quarter of a minute at the tiny shape and a minute at 0.5b.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { readHeader } from "../../tools/twin/gguf";
import { shapeNamed } from "../../tools/twin/shapes";
import { sourceShape } from "../../tools/twin/twinPlan";
import { EMBEDDED_MODEL_SOURCE, F16_TOLERANCE, TwinFixture } from "../support/twinFixture";

describe("cost twins compute the embedded model's function", () => {
  let fixture: TwinFixture;
  before(async () => {
    fixture = await TwinFixture.create();
  });
  after(async () => {
    await fixture.dispose();
  });

  test("the reference has no near tie, so greedy identity is a sharp test", () => {
    assert.ok(fixture.smallestTopGap() > 2 * F16_TOLERANCE, `a top-2 logit gap of ${fixture.smallestTopGap()}`);
  });

  test("the tiny twin (F16) is greedy-identical to the embedded model's F16 source, logits within F16 tolerance", async (t) => {
    const measured = await fixture.compare(t, fixture.makeTwin("tiny", shapeNamed("tiny"), "F16"), { greedy: true });
    assert.equal(measured.argmaxDisagreements, 0);
    assert.ok(measured.maxLogitDifference <= F16_TOLERANCE, `logits differ by up to ${measured.maxLogitDifference}`);
  });

  test("the qwen2.5-0.5b twin (F16) is greedy-identical to the embedded model's F16 source, logits within F16 tolerance", async (t) => {
    const measured = await fixture.compare(t, fixture.makeTwin("qwen2.5-0.5b", shapeNamed("qwen2.5-0.5b"), "F16"), { greedy: true });
    assert.equal(measured.argmaxDisagreements, 0);
    assert.ok(measured.maxLogitDifference <= F16_TOLERANCE, `logits differ by up to ${measured.maxLogitDifference}`);
  });

  test("a sparse twin (zeros left as holes) has the same bytes as a written one", () => {
    const shape = shapeNamed("tiny");
    assert.ok(readFileSync(fixture.makeTwin("tiny", shape, "F16", true)).equals(readFileSync(fixture.makeTwin("tiny", shape, "F16"))));
  });

  test("Q8_0: the tiny twin is within Q8_0 rounding of the F16 source, as the model quantised at its own shape (the shipped file) is", async (t) => {
    // On the CPU, Q8_0 matrices multiply activations quantised to Q8_0 as well, so a twin's float
    // differences of 1e-7 can move an activation by one Q8_0 step: a Q8_0 twin reproduces the
    // Q8_0 model up to Q8_0's rounding, not F16's (the block layout itself is checked byte for byte
    // in test/unit/twin.test.ts).
    const sameShape = await fixture.compare(t, fixture.makeTwin("source", sourceShape(readHeader(EMBEDDED_MODEL_SOURCE)), "Q8_0"), {
      greedy: false,
    });
    const twin = await fixture.compare(t, fixture.makeTwin("tiny", shapeNamed("tiny"), "Q8_0"), { greedy: false });
    for (const [name, measured] of [
      ["the same-shape Q8_0 model", sameShape],
      ["the Q8_0 twin", twin],
    ] as const) {
      // Q8_0 rounds each weight to 1/254 of its block's largest: far more than F16, far less than a wrong layout.
      assert.ok(measured.maxLogitDifference < 0.5, `${name}: logits differ by up to ${measured.maxLogitDifference}`);
      assert.ok(
        measured.argmaxDisagreements <= measured.positions / 20,
        `${name}: ${measured.argmaxDisagreements} of ${measured.positions} argmaxes differ`,
      );
    }
  });
});
