// The plan of prefix sharing (language-server/src/model/sharedPrefix.ts), without a model: which
// prefixes are evaluated once and copied, and that carrying a plan out in its order gives every
// trajectory what it needs while reading only sequences in the state the plan assumed.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { planSharing, type PrefixWant, type SharingPlan } from "../../language-server/src/model/sharedPrefix";
import { Random } from "../../language-server/src/stand";

const MIN = 32;

function tokens(length: number, from = 1000): number[] {
  return Array.from({ length }, (_, i) => from + i);
}

/** A want for a call that evaluates `context`'s last token itself. */
function want(trajectory: number, context: readonly number[], held: readonly number[] = []): PrefixWant {
  const needs = context.length - 1;
  let holds = 0;
  while (holds < needs && holds < held.length && held[holds] === context[holds]) holds++;
  return { trajectory, tokens: context, needs, holds };
}

/**
 * Carries a plan out on token lists standing for the sequences, phase by phase (each phase's
 * steps run concurrently, so a step may not read a sequence that its phase writes), then checks
 * that every want's sequence holds a prefix of what it needs and returns the tokens the plan and
 * then the call evaluate.
 */
function carryOut(plan: SharingPlan | undefined, wants: readonly PrefixWant[], held: readonly (readonly number[])[]): number {
  const sequences = held.map((tokens) => [...tokens]);
  let evaluated = 0;
  const copyPhase = (copies: SharingPlan["fromHolders"]): void => {
    const written = new Set(copies.map((copy) => copy.to));
    const before = sequences.map((tokens) => [...tokens]);
    for (const { from, to, length } of copies) {
      assert.ok(!written.has(from), `trajectory ${from} is read and written in one phase`);
      const source = before[from] ?? [];
      assert.ok(source.length >= length, `trajectory ${from} holds ${source.length} tokens, not the ${length} copied`);
      sequences[to] = source.slice(0, length);
    }
  };
  if (plan) {
    copyPhase(plan.fromHolders);
    for (const lead of plan.leads) {
      const sequence = sequences[lead.trajectory] ?? [];
      const need = wants.find((w) => w.trajectory === lead.trajectory);
      assert.ok(need, "a lead is one of the call's trajectories");
      assert.deepEqual(sequence.slice(0, lead.start), need.tokens.slice(0, lead.start), "a lead evaluates after what it holds");
      sequences[lead.trajectory] = [...sequence.slice(0, lead.start), ...lead.tokens];
      evaluated += lead.tokens.length;
    }
    copyPhase(plan.spreads);
  }
  for (const w of wants) {
    const sequence = sequences[w.trajectory] ?? [];
    let holds = 0;
    while (holds < w.needs && holds < sequence.length && sequence[holds] === w.tokens[holds]) holds++;
    evaluated += w.needs - holds;
  }
  // Trajectories outside the call keep what they held.
  held.forEach((tokens, trajectory) => {
    if (!wants.some((w) => w.trajectory === trajectory)) assert.deepEqual(sequences[trajectory], tokens);
  });
  return evaluated;
}

function unshared(wants: readonly PrefixWant[]): number {
  return wants.reduce((sum, w) => sum + w.needs - w.holds, 0);
}

describe("prefix sharing plan", () => {
  test("three trajectories with one prompt and empty sequences: one evaluates it, two copy it", () => {
    const prompt = tokens(100);
    const held = [[], [], []];
    const wants = [0, 1, 2].map((t) => want(t, prompt));
    const plan = planSharing(wants, held, MIN);
    assert.ok(plan, "a plan");
    assert.deepEqual(plan.fromHolders, []);
    assert.deepEqual(plan.leads, [{ trajectory: 0, start: 0, tokens: prompt.slice(0, 99) }]);
    assert.deepEqual(plan.spreads, [
      { from: 0, to: 1, length: 99 },
      { from: 0, to: 2, length: 99 },
    ]);
    assert.equal(plan.saved, 198);
    assert.equal(carryOut(plan, wants, held), 99);
  });

  test("nothing shared, or less than the minimum: no plan", () => {
    const wants = [want(0, tokens(100, 0)), want(1, tokens(100, 500))];
    assert.equal(planSharing(wants, [[], []], MIN), undefined);
    const short = tokens(20);
    assert.equal(planSharing([want(0, short), want(1, short)], [[], []], MIN), undefined);
    // Everything needed is held already (every step of a decode after its first).
    const prompt = tokens(100);
    assert.equal(planSharing([want(0, prompt, prompt), want(1, prompt, prompt)], [prompt, prompt], MIN), undefined);
  });

  test("what a sequence holds from an earlier request is copied, and the new part is evaluated once", () => {
    const previous = tokens(200);
    const context = [...previous.slice(0, 150), ...tokens(60, 5000)];
    const held = [previous, [], []];
    const wants = [0, 1, 2].map((t) => want(t, context, held[t]));
    const plan = planSharing(wants, held, MIN);
    assert.ok(plan, "a plan");
    assert.deepEqual(plan.fromHolders, [
      { from: 0, to: 1, length: 150 },
      { from: 0, to: 2, length: 150 },
    ]);
    assert.deepEqual(plan.leads, [{ trajectory: 0, start: 150, tokens: context.slice(150, 209) }]);
    assert.equal(carryOut(plan, wants, held), 59);
  });

  test("a trajectory that holds nearly all of a shared prompt is not copied into: the copy would save too little", () => {
    const prompt = tokens(100);
    const held = [[], prompt.slice(0, 90), []];
    const wants = [0, 1, 2].map((t) => want(t, prompt, held[t]));
    const plan = planSharing(wants, held, MIN);
    assert.ok(plan, "a plan");
    assert.deepEqual(plan.fromHolders, [
      { from: 1, to: 0, length: 90 },
      { from: 1, to: 2, length: 90 },
    ]);
    assert.deepEqual(plan.spreads, [], "9 tokens each are not worth a copy");
    assert.equal(carryOut(plan, wants, held), 27);
  });

  test("a sequence outside the call is copied from and left as it was", () => {
    const prompt = tokens(80);
    const held = [[], [], prompt];
    const wants = [want(0, [...prompt, 7]), want(1, [...prompt, 8])];
    const plan = planSharing(wants, held, MIN);
    assert.ok(plan, "a plan");
    assert.deepEqual(plan.fromHolders, [
      { from: 2, to: 0, length: 80 },
      { from: 2, to: 1, length: 80 },
    ]);
    assert.equal(carryOut(plan, wants, held), 0);
  });

  test("two sequences that each hold what the other needs: one copy only, never reading a sequence already overwritten", () => {
    const a = tokens(100, 0);
    const b = tokens(100, 500);
    const held = [a, b];
    const wants = [want(0, [...b, 1]), want(1, [...a, 2])];
    const plan = planSharing(wants, held, MIN);
    assert.ok(plan, "a plan");
    assert.equal(plan.fromHolders.length, 1);
    assert.equal(carryOut(plan, wants, held), 100);
  });

  test("two prompts, two trajectories each: two leads in one batch", () => {
    const a = tokens(60, 0);
    const b = tokens(70, 500);
    const wants = [want(0, a), want(1, b), want(2, a), want(3, b)];
    const held = [[], [], [], []];
    const plan = planSharing(wants, held, MIN);
    assert.ok(plan, "a plan");
    assert.deepEqual(
      plan.leads.map((lead) => [lead.trajectory, lead.tokens.length]),
      [
        [0, 59],
        [1, 69],
      ],
    );
    assert.equal(carryOut(plan, wants, held), 59 + 69);
  });

  test("a short common start and two long branches: each branch is a group", () => {
    const common = tokens(10, 0);
    const x = [...common, ...tokens(100, 500)];
    const y = [...common, ...tokens(100, 900)];
    const wants = [want(0, x), want(1, y), want(2, x), want(3, y)];
    const held = [[], [], [], []];
    const plan = planSharing(wants, held, MIN);
    assert.ok(plan, "a plan");
    assert.equal(plan.leads.length, 2);
    assert.equal(carryOut(plan, wants, held), 2 * 109);
  });

  test("random prompts and sequences: every plan is carried out safely and saves what it says", () => {
    const random = new Random(16);
    const pick = (n: number): number => random.nextInt(n);
    let plans = 0;
    for (let round = 0; round < 500; round++) {
      // Contexts from a few stems with a few branches, so that prefixes are shared at several depths.
      const stems = Array.from({ length: 1 + pick(3) }, () => Array.from({ length: pick(120) }, () => pick(4)));
      const context = (): number[] => [...(stems[pick(stems.length)] ?? []), ...Array.from({ length: 1 + pick(80) }, () => pick(3))];
      const sequences = 1 + pick(6);
      const held = Array.from({ length: sequences }, () => (random.next() < 0.5 ? [] : context()));
      const trajectories = Array.from({ length: sequences }, (_, t) => t).filter(() => random.next() < 0.8);
      const wants = trajectories.map((t) => want(t, context(), held[t]));
      const plan = planSharing(wants, held, MIN);
      if (plan) plans++;
      const evaluated = carryOut(plan, wants, held);
      assert.equal(evaluated, unshared(wants) - (plan?.saved ?? 0), `round ${round}`);
      if (plan) assert.ok(plan.saved >= MIN);
    }
    assert.ok(plans > 50, `only ${plans} of 500 rounds shared anything: the test proved little`);
  });
});
