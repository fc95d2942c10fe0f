// Token healing without an extra model call: the healing call also evaluates the typed tokens, and
// a trajectory whose healed start is what the user typed samples its first completion token from
// that call's distribution (DecodeRequest.primed); the next keystroke in the same word reads no
// model at all for its start (HealingReadings). On a synthetic target whose next token depends on
// the last one: the calls are counted, and the completions' law is proved unchanged.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Decoder,
  DraftShape,
  NoDrafter,
  samplerDistribution,
  type DraftTree,
  type SamplingOptions,
  type SparseDistribution,
  type TargetRequest,
} from "../../language-server/src/stand";
import { HealingReadings } from "../../language-server/src/healingReadings";
import {
  constrainedDistribution,
  healedStarts,
  type HealingRequest,
  type Reading,
  type RestrictingTarget,
  type TokenIndex,
} from "../../language-server/src/tokenHealing";
import { countOutcomes, goodnessOfFit } from "../support/chiSquare";
import { defined } from "../support/defined";
import { toyVocabulary } from "../support/toyVocabulary";

const VOCABULARY = ["<eos>", " {\n", " ", " return", " returns", " returned", " ret", "urn", " b", ";", "\n", "r", " a"];
const EOS = 0;
const { token, textOf } = toyVocabulary(VOCABULARY, EOS);

/** Every token's logit after each token: a few likely ones, the rest far behind. */
function logitsAfter(last: number, favoured: Record<string, number>): number[] {
  return VOCABULARY.map((text, id) => (id === EOS ? -Infinity : Math.log(favoured[text] ?? 0.01) + (last % 3) * 0.01));
}

/** A target whose next token depends only on the last one; it reads positions as a RestrictingTarget does. */
class LastTokenTarget implements RestrictingTarget {
  // Like the server's target, it evaluates every sequence at the longest draft: each may draft a guess.
  readonly capabilities = { trees: true, padsToLongestDraft: true };
  calls = 0;
  constructor(private readonly favoured: (last: string) => Record<string, number>) {}

  evaluate(requests: readonly TargetRequest[], sampling: SamplingOptions): Promise<SparseDistribution[][]> {
    this.calls++;
    return Promise.resolve(
      requests.map((request) => this.lastTokens(request).map((last) => samplerDistribution(this.logits(last), sampling))),
    );
  }

  evaluateReadings(requests: readonly TargetRequest[], readings: readonly (readonly Reading[])[]): Promise<SparseDistribution[][]> {
    this.calls++;
    return Promise.resolve(
      requests.map((request, i) =>
        this.lastTokens(request).map((last, position) => {
          const positions = readings[i] ?? [];
          const reading = defined(positions[Math.min(position, positions.length - 1)], "a reading");
          const logits = this.logits(last);
          if ("sampling" in reading) return samplerDistribution(logits, reading.sampling);
          const among = reading.among.filter((id) => (logits[id] ?? -Infinity) > -Infinity);
          const weights = among.map((id) => Math.exp(logits[id] ?? -Infinity));
          const total = weights.reduce((sum, weight) => sum + weight, 0);
          return { tokens: Int32Array.from(among), probs: Float64Array.from(weights, (weight) => weight / total) };
        }),
      ),
    );
  }

  logits(last: number): number[] {
    return logitsAfter(last, this.favoured(textOf(last)));
  }

  /** The last token before each node of the request's draft (a chain or a tree), by node. */
  private lastTokens({ context, draft }: TargetRequest): number[] {
    const lastOf = (tree: DraftTree, node: number): number =>
      node === 0 ? defined(context.at(-1), "the context's last token") : defined(tree.tokens[node], `node ${node}`);
    return Array.from({ length: draft.size }, (_, node) => lastOf(draft, node));
  }
}

const index: TokenIndex = {
  startingWith: (prefix) => VOCABULARY.flatMap((text, id) => (id !== EOS && text.startsWith(prefix) ? [id] : [])),
  spelling: (text) => VOCABULARY.flatMap((candidate, id) => (id !== EOS && candidate === text ? [id] : [])),
};

const sampling: SamplingOptions = { temperature: 0.8, topK: 4, topP: 0.95, minP: 0 };
const PROMPT = [token(" {\n"), token(" ")];
const favoured = (last: string): Record<string, number> =>
  last === " "
    ? { " return": 0.5, " returns": 0.2, " returned": 0.1, " ret": 0.1, " b": 0.2 }
    : last.startsWith(" return")
      ? { " b": 0.5, " a": 0.3, ";": 0.2 }
      : { ";": 0.6, "\n": 0.3, " b": 0.1 };

/** The same place after a line that used " returns" (the target reads only the last token, so the law is the same). */
const PROMPT_WITH_RETURNS = [token(" returns"), token(";"), token("\n"), ...PROMPT];

function healing(trajectories: number, seed: number, prompt = PROMPT): HealingRequest {
  return {
    prompt,
    constraint: { remaining: " return", thenCode: false },
    typed: [token(" return")],
    trajectories,
    sampling,
    seed,
    textOf,
    excluded: [EOS],
    index,
  };
}

/** Heals, then decodes as completeInline does: the prompts with their starts, primed where the healing call read them. */
async function healAndDecode(target: LastTokenTarget, trajectories: number, maxTokens: number, seed: number, prompt = PROMPT) {
  const healed = defined(await healedStarts(target, healing(trajectories, seed, prompt)), "healed starts");
  const result = await new Decoder({ target, drafter: new NoDrafter(), shape: DraftShape.chain(0) }).decode({
    prompts: healed.starts.map((start) => [...prompt, ...start]),
    maxTokens,
    sampling,
    seed: seed + 1,
    primed: healed.primed,
  });
  return { healed, result };
}

describe("token healing primes the decode with the healing call's distribution", () => {
  test("when every start is the typed token, healing and decoding make as many calls as decoding the unhealed prompt", async () => {
    // After the prompt only " return" is allowed with probability: every start is the typed token.
    const target = new LastTokenTarget((last) => (last === " " ? { " return": 0.6, " b": 0.4 } : favoured(last)));
    const maxTokens = 5;
    const { healed, result } = await healAndDecode(target, 3, maxTokens, 7);
    assert.ok(healed.starts.every((start) => start.length === 1 && start[0] === token(" return")));
    assert.ok(healed.primed.every((distribution) => distribution !== undefined));
    const healedCalls = target.calls;

    const unhealed = new LastTokenTarget(favoured);
    await new Decoder({ target: unhealed, drafter: new NoDrafter(), shape: DraftShape.chain(0) }).decode({
      prompts: Array.from({ length: 3 }, () => [...PROMPT, token(" return")]),
      maxTokens,
      sampling,
      seed: 8,
    });
    assert.equal(unhealed.calls, maxTokens);
    assert.equal(healedCalls, unhealed.calls, "healing added a target call");
    assert.ok(result.trajectories.every((trajectory) => trajectory.tokens.length === maxTokens));
    assert.equal(result.statistics.targetCalls, maxTokens - 1, "the primed first tokens needed no call");
  });

  test("a start other than the typed token decodes as before: one more call for its distribution", async () => {
    const target = new LastTokenTarget((last) => (last === " " ? { " returns": 1 } : favoured(last)));
    const { healed, result } = await healAndDecode(target, 2, 4, 3);
    assert.ok(healed.starts.every((start) => start[0] === token(" returns")));
    assert.ok(healed.primed.every((distribution) => distribution === undefined));
    assert.equal(result.statistics.targetCalls, 4);
    assert.ok(result.trajectories.every((trajectory) => trajectory.tokens.length === 4));
  });

  test("a start that the prompt used before is guessed in another sequence: no extra call either", async () => {
    const target = new LastTokenTarget((last) => (last === " " ? { " returns": 1 } : favoured(last)));
    const { healed, result } = await healAndDecode(target, 2, 4, 3, PROMPT_WITH_RETURNS);
    assert.ok(healed.starts.every((start) => start[0] === token(" returns")));
    assert.ok(healed.primed.every((distribution) => distribution !== undefined));
    assert.equal(target.calls, 4, "one healing call and three decoding calls for four tokens");
    assert.equal(result.statistics.targetCalls, 3);
  });

  test("the completions' law is unchanged: start and first two tokens match the exact law (chi-square), primed or not", async () => {
    const target = new LastTokenTarget(favoured);
    const trajectories = 6000;
    const { healed, result } = await healAndDecode(target, trajectories, 2, 21, PROMPT_WITH_RETURNS);
    const primedAs = (text: string) => healed.starts.filter((start, i) => healed.primed[i] && start.map(textOf).join("") === text).length;
    const unprimed = healed.primed.filter((distribution) => distribution === undefined).length;
    assert.ok(primedAs(" return") > 0, "some starts are the typed token");
    assert.ok(primedAs(" returns") > 0, "some starts are the token guessed from the prompt");
    assert.ok(unprimed > 0, `some starts were not guessed (" returned")`);
    const outcomes = result.trajectories.map((trajectory, i) => [...(healed.starts[i] ?? []), ...trajectory.tokens].join(","));

    // The law of the old two-call path: the start from the restricted law, then each token from the sampler's.
    const startLaw = defined(
      constrainedDistribution(
        samplerDistribution(target.logits(token(" ")), { temperature: 1, topK: 0, topP: 1, minP: 0 }),
        { remaining: " return", thenCode: false },
        textOf,
        sampling,
        new Set([EOS]),
      ),
      "the start law",
    );
    const next = (last: number): SparseDistribution => samplerDistribution(target.logits(last), sampling);
    const law = new Map<string, number>();
    startLaw.tokens.forEach((start, i) => {
      const first = next(start);
      first.tokens.forEach((one, j) => {
        const second = next(one);
        second.tokens.forEach((two, k) => {
          const probability = (startLaw.probs[i] ?? 0) * (first.probs[j] ?? 0) * (second.probs[k] ?? 0);
          law.set([start, one, two].join(","), probability);
        });
      });
    });
    const fit = goodnessOfFit(countOutcomes(outcomes), law);
    assert.deepEqual(fit.impossible, []);
    assert.ok(fit.pValue > 0.001, `chi-square ${fit.statistic.toFixed(1)} on ${fit.degreesOfFreedom} df, p = ${fit.pValue}`);
  });
});

describe("a word's next keystroke samples its start from the reading its first keystroke kept", () => {
  /** Healing at PROMPT as the user types on: `remaining` so far, the typed token its last. */
  const keystroke = (remaining: string, seed: number, readings?: HealingReadings): HealingRequest => ({
    ...healing(3, seed),
    constraint: { remaining, thenCode: false },
    typed: [token(remaining === " re" ? " ret" : remaining)],
    readings,
  });

  test("the first keystroke calls the model once; the ones after it in the same word not at all", async () => {
    const target = new LastTokenTarget(favoured);
    const readings = new HealingReadings();
    const first = await healedStarts(target, keystroke(" re", 1, readings));
    assert.ok(first?.starts.every((start) => start.length === 1));
    assert.equal(target.calls, 1);
    for (const [seed, remaining] of [" ret", " return"].entries()) {
      const healed = defined(await healedStarts(target, keystroke(remaining, seed, readings)), `starts for ${remaining}`);
      assert.ok(healed.starts.every((start) => textOf(defined(start[0], "a start")).startsWith(remaining)));
      // Nothing was evaluated, so nothing is primed: decoding evaluates each start in its first call.
      assert.ok(healed.primed.every((distribution) => distribution === undefined));
    }
    assert.equal(target.calls, 1, "a later keystroke called the model");
  });

  test("the starts are those a new reading would give, seed for seed", async () => {
    const target = new LastTokenTarget(favoured);
    const readings = new HealingReadings();
    await healedStarts(target, keystroke(" re", 0, readings));
    for (let seed = 0; seed < 300; seed++) {
      const kept = defined(await healedStarts(target, keystroke(" return", seed, readings)), "starts from the kept reading");
      const fresh = defined(await healedStarts(new LastTokenTarget(favoured), keystroke(" return", seed)), "starts from a new reading");
      assert.deepEqual(kept.starts, fresh.starts, `seed ${seed}`);
    }
    assert.equal(target.calls, 1);
  });

  test("a keystroke that allows a token the kept reading did not read (a deletion), or another place, reads the model again", async () => {
    const target = new LastTokenTarget(favoured);
    const readings = new HealingReadings();
    await healedStarts(target, keystroke(" return", 0, readings));
    assert.equal(target.calls, 1);
    // " ret" allows " ret", which the reading among " return"'s tokens did not read.
    await healedStarts(target, keystroke(" ret", 0, readings));
    assert.equal(target.calls, 2);
    await healedStarts(target, { ...keystroke(" return", 0, readings), prompt: PROMPT_WITH_RETURNS });
    assert.equal(target.calls, 3, "another prompt has a reading of its own");
    await healedStarts(target, keystroke(" return", 0, readings));
    assert.equal(target.calls, 3, 'the reading among " ret"\'s tokens covers " return"');
  });

  test("the oldest place is forgotten past the capacity, and a place found is the newest again", () => {
    const readings = new HealingReadings(2);
    const distribution: SparseDistribution = { tokens: Int32Array.of(3, 4), probs: Float64Array.of(0.5, 0.5) };
    readings.keep([1], [3, 4], distribution);
    readings.keep([2], [3, 4], distribution);
    assert.equal(readings.find([1], [3]), distribution);
    readings.keep([3], [3, 4], distribution);
    assert.equal(readings.find([2], [3]), undefined, "[2] was the least recently used");
    assert.equal(readings.find([1], [3, 4]), distribution);
    assert.equal(readings.find([1], [3, 5]), undefined, "5 was not read");
    readings.clear();
    assert.equal(readings.find([3], [3]), undefined);
  });
});
