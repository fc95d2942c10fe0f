// The shapes STAND drafts on a real model, in one place: the server, the benchmark and the GPU kit use these.
import { DraftShape, isGreedy, ShapeChoice, type DraftBudget, type SamplingOptions, type ShapeArm } from "./stand";

/** The longest chain drafted: the adaptive budget drafts a prefix of it. */
export const CHAIN_SHAPE = DraftShape.chain(8);

/**
 * The tree drafted where trees are chosen: 18 draft tokens with 3 candidates for the next token and
 * 8 root-to-leaf branches (each one a context sequence per trajectory, see model/sequencePool.ts),
 * so that 32 trajectories still fit llama.cpp's 256 sequences.
 */
export const TREE_SHAPE = DraftShape.fromWidths([3, 4, 4, 3, 2, 1, 1]);

/** Plain steps: no draft, and nothing assessed for one. */
export const PLAIN_SHAPE = DraftShape.chain(0);

/**
 * How much faster than the adaptive chain plain steps must measure to be chosen while the chain's
 * drafts pay (see ShapeArm.requiredGain). The chain is the default because its measurement is the
 * noisy one: its steps commit from one to nine tokens each, so a short stretch of them (an arm
 * tried again is measured over a block of 8 steps) can look slow by chance where drafting pays (at
 * N = 1, T = 0.7 on a 2-core CPU, 1.0–1.1×); plain steps, one token per trajectory each, measure
 * steadily. Where its drafts do not pay the gain is waived: at N = 16, T = 0.7 on that CPU the
 * chain's steps that drafted nothing cost 1.3–1.5 % more than plain ones, under the gain, so the chain
 * stayed chosen and drafted at a loss now and then (STAND 0.967–0.976× batched AR, then
 * 0.989–1.000× with the gain waived, in two interleaved diagnostic replays of 24 prompts).
 */
export const PLAIN_REQUIRED_GAIN = 1.03;

/**
 * How much faster than the chain the adaptive tree must measure to be chosen: on a CPU the two
 * measure within noise of each other (the tree's budget then rarely drafts), and a tree chosen by
 * chance drafts at a loss while its budget learns; on a GPU trees measure 1.5–2× faster.
 */
export const TREE_REQUIRED_GAIN = 1.15;

/**
 * What `stand.draftShape: "auto"` chooses between, step by step (see ShapeChoice), for decodes
 * sampled as `sampling` is of `trajectories` trajectories side by side: the adaptive chain, plain
 * steps where decodes are sampled and several trajectories share a step, and, where the target
 * verifies trees, the adaptive tree. A greedy decode takes no plain steps: its chain
 * drafts the table's argmax only where that is a good bet and rests where none is (see
 * DraftBudget.needsEvidence), so plain steps could save it little more than the assessments, and
 * once chosen after text the table could not draft they kept it from drafts that paid 1.1–1.2×
 * until the next try. Our n-gram drafter, which drafts at T = 0 what the chain drafts and never
 * takes plain steps, ran a median 1.017× (0.95–1.09) STAND adaptive at T = 0 in the 46 benchmark
 * cells of 9 runs on a 2-core CPU since plain steps joined the choice, against 0.995× (0.92–1.09)
 * in 65 cells of 15 runs before.
 *
 * Nor does a sampled decode of one trajectory. There a step's draft lengthens no other
 * trajectory's step, drafting pays more often than in a batch, and plain steps save only the
 * assessing of steps that draft nothing (about 3 % of such a step), while the choice's tries of
 * the chain (8 steps every 512) measure it too noisily: chosen after a stretch the table could not
 * draft, plain steps kept the decode from drafts that paid until the next try. In diagnostic
 * replays on a 2-core CPU (N = 1, T = 0.7, 256 tokens, both prompt sets, interleaved, 6 processes)
 * the chain alone ran a median 1.048× (1.027–1.066) the choice with plain steps on one set and
 * 1.014× (0.94–1.07) on the other, and 1.05–1.14× with a CPU hog (2 processes); at N = 2 and 4
 * plain steps still gain (the chain alone 0.98× and 0.95–0.98× the choice with them, 6 repetitions).
 */
export function adaptiveArms(
  sampling: SamplingOptions,
  trajectories: number,
  chainBudget: DraftBudget,
  treeBudget?: DraftBudget,
): ShapeArm[] {
  return [
    { shape: CHAIN_SHAPE, budget: chainBudget },
    ...(decodeModeOf(sampling, trajectories) === "sampled side by side" ? [{ shape: PLAIN_SHAPE, requiredGain: PLAIN_REQUIRED_GAIN }] : []),
    ...(treeBudget ? [{ shape: TREE_SHAPE, budget: treeBudget, requiredGain: TREE_REQUIRED_GAIN }] : []),
  ];
}

/**
 * Decodes that choose apart, by the arms they have and the acceptance their budget keeps apart:
 * only sampled decodes of several trajectories side by side are offered plain steps.
 */
type DecodeMode = "greedy" | "sampled" | "sampled side by side";

function decodeModeOf(sampling: SamplingOptions, trajectories: number): DecodeMode {
  if (isGreedy(sampling)) return "greedy";
  return trajectories > 1 ? "sampled side by side" : "sampled";
}

/**
 * One context's shape choices over adaptiveArms: one for greedy decodes, one for sampled decodes
 * of one trajectory and one for sampled decodes of several, as the budget keeps greedy and sampled
 * acceptance apart and only the last take plain steps. One choice for greedy and sampled decodes
 * (inline completions are greedy for one candidate and sampled for several; a solve may be
 * either) carried a sampled decode's verdict for plain steps into the greedy ones, whose chain pays
 * 1.1–1.2× on a CPU, until the chain was tried again. All learn the context's costs in its budgets.
 */
export class ShapeChoicesByMode {
  private readonly choices = new Map<DecodeMode, ShapeChoice>();

  constructor(
    private readonly chainBudget: DraftBudget,
    private readonly treeBudget?: DraftBudget,
  ) {}

  /** The choice for decodes sampled as `sampling` is, of `trajectories` trajectories side by side. */
  for(sampling: SamplingOptions, trajectories: number): ShapeChoice {
    const mode = decodeModeOf(sampling, trajectories);
    let choice = this.choices.get(mode);
    if (!choice) {
      choice = new ShapeChoice(adaptiveArms(sampling, trajectories, this.chainBudget, this.treeBudget));
      this.choices.set(mode, choice);
    }
    return choice;
  }
}
