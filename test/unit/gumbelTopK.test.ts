import assert from "node:assert/strict";
import { test } from "node:test";
import { Random, gumbelTopK } from "../../language-server/src/stand";
import { countOutcomes, goodnessOfFit } from "../support/chiSquare";

const weights = [0.35, 0.25, 0.15, 0.1, 0.08, 0.05, 0.02];
const COUNT = 3;
const DRAWS = 60_000;

/** Exact law of the ordered tuple drawn by sequential sampling without replacement. */
function sequentialLaw(): Map<string, number> {
  const law = new Map<string, number>();
  const walk = (chosen: number[], probability: number): void => {
    if (chosen.length === COUNT) {
      law.set(chosen.join(","), probability);
      return;
    }
    const remaining = weights.reduce((sum, weight, i) => (chosen.includes(i) ? sum : sum + weight), 0);
    weights.forEach((weight, i) => {
      if (!chosen.includes(i)) walk([...chosen, i], (probability * weight) / remaining);
    });
  };
  walk([], 1);
  return law;
}

function drawTuples(): string[] {
  const random = new Random(42);
  const out = new Int32Array(COUNT);
  return Array.from({ length: DRAWS }, () => {
    assert.equal(gumbelTopK(weights, COUNT, random, out), COUNT);
    return Array.from(out).join(",");
  });
}

test("Gumbel-Top-k draws ordered tuples with the law of sequential sampling without replacement", () => {
  const fit = goodnessOfFit(countOutcomes(drawTuples()), sequentialLaw());
  console.log(`  ordered ${COUNT}-tuples: p = ${fit.pValue.toFixed(4)}, χ² = ${fit.statistic.toFixed(1)}, df = ${fit.degreesOfFreedom}`);
  assert.deepEqual(fit.impossible, []);
  assert.ok(fit.pValue > 0.01);
});

test("Gumbel-Top-k inclusion probabilities match sequential sampling (within 4 standard errors)", () => {
  const law = sequentialLaw();
  const tuples = drawTuples();
  weights.forEach((_, token) => {
    const exact = [...law].reduce(
      (sum, [tuple, probability]) => (tuple.split(",").map(Number).includes(token) ? sum + probability : sum),
      0,
    );
    const observed = tuples.filter((tuple) => tuple.split(",").map(Number).includes(token)).length / DRAWS;
    const standardError = Math.sqrt((exact * (1 - exact)) / DRAWS);
    assert.ok(Math.abs(observed - exact) < 4 * standardError, `token ${token}: ${observed} vs ${exact}`);
  });
});

test("Gumbel-Top-k skips zero weights and returns fewer items when the support is small", () => {
  const out = new Int32Array(4);
  const chosen = gumbelTopK([0, 0.5, 0, 0.5], 4, new Random(1), out);
  assert.equal(chosen, 2);
  assert.deepEqual(Array.from(out.subarray(0, chosen)).sort(), [1, 3]);
  assert.equal(gumbelTopK([0.2, 0.8], 0, new Random(1), out), 0);
});
