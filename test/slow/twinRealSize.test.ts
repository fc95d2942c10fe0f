// The qwen2.5-0.5b cost twin (731 MB, written at test time into a temporary folder) is
// greedy-identical to the embedded model, logits within F16 tolerance. About a minute on a 2-core
// machine, so it runs in `npm run test:slow` (CI runs it), not in `npm test`.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { shapeNamed } from "../../tools/twin/shapes";
import { F16_TOLERANCE, TwinFixture } from "../support/twinFixture";

describe("a real-size cost twin computes the embedded model's function", () => {
  let fixture: TwinFixture;
  before(async () => {
    fixture = await TwinFixture.create();
  });
  after(async () => {
    await fixture.dispose();
  });

  test("the qwen2.5-0.5b twin (F16) is greedy-identical to the embedded model, logits within F16 tolerance", async (t) => {
    assert.ok(fixture.smallestTopGap() > 2 * F16_TOLERANCE, `the reference has a near tie (top-2 gap ${fixture.smallestTopGap()})`);
    const measured = await fixture.compare(t, fixture.makeTwin("qwen2.5-0.5b", shapeNamed("qwen2.5-0.5b"), "F16"), { greedy: true });
    assert.equal(measured.argmaxDisagreements, 0);
    assert.ok(measured.maxLogitDifference <= F16_TOLERANCE, `logits differ by up to ${measured.maxLogitDifference}`);
  });
});
