// `npm run bench:engine`: the engine alone, on a synthetic target, so drafting quality and
// drafter cost are visible without a model. Prints tokens per target call (A) and the drafter's
// own cost for each drafter at N = 1, 4, 16 trajectories. Add --json for machine-readable output.
import {
  Decoder,
  DraftShape,
  NgramTable,
  NoDrafter,
  PromptLookupDrafter,
  Random,
  ngramDrafter,
  sampleToken,
  standDrafter,
  type Drafter,
  type SamplingOptions,
} from "../language-server/src/stand";
import { MarkovTarget } from "../fixtures/markovTarget";

const json = process.argv.includes("--json");
const MAX_TOKENS = 256;
const PROMPTS = 6;
/** A nominal decode step per trajectory for the embedded model on this CPU (about 1,000 tok/s, one thread). */
const NOMINAL_STEP_MS = 1;

const target = new MarkovTarget({ vocabularySize: 64, order: 2, support: 6, logitScale: 3, seed: 2024 });

function prompt(seed: number, sampling: SamplingOptions): number[] {
  const random = new Random(seed);
  const tokens = [seed % 64, (seed * 31) % 64];
  while (tokens.length < 64) tokens.push(sampleToken(target.distribution(tokens.slice(-2), sampling), random));
  return tokens;
}

const methods: [string, () => Drafter, DraftShape][] = [
  ["autoregressive", () => new NoDrafter(), DraftShape.chain(0)],
  ["prompt lookup (chain 6)", () => new PromptLookupDrafter(), DraftShape.chain(6)],
  ["n-gram (chain 6)", () => ngramDrafter(new NgramTable()), DraftShape.chain(6)],
  ["STAND chain 6", () => standDrafter(new NgramTable()), DraftShape.chain(6)],
  ["STAND tree 80", () => standDrafter(new NgramTable()), DraftShape.paperTree()],
];

interface Row {
  method: string;
  trajectories: number;
  temperature: number;
  tokensPerCall: number;
  batchedTokensPerCall: number;
  meanAcceptedLength: number;
  acceptanceRate: number;
  draftedPerStep: number;
  drafterMicrosecondsPerToken: number;
  drafterOverheadAtNominalStep: number;
}

async function measure(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const temperature of [0, 1]) {
    const sampling: SamplingOptions = { temperature, topK: 0, topP: 1, minP: 0 };
    for (const trajectories of [1, 4, 16]) {
      for (const [method, makeDrafter, shape] of methods) {
        const drafter = makeDrafter();
        const decoder = new Decoder({ target, drafter, shape });
        let tokens = 0;
        let calls = 0;
        let batchedCalls = 0;
        let drafted = 0;
        let accepted = 0;
        let acceptedSteps = 0;
        let drafterMs = 0;
        // One drafter (one table) for all prompts, as one workspace's requests would share it.
        for (let p = 0; p < PROMPTS; p++) {
          const promptTokens = prompt(100 + p, sampling);
          const result = await decoder.decode({
            prompts: Array.from({ length: trajectories }, () => promptTokens),
            maxTokens: MAX_TOKENS,
            sampling,
            seed: p,
          });
          for (const trajectory of result.trajectories) {
            tokens += trajectory.statistics.tokens;
            calls += trajectory.statistics.targetCalls;
            drafted += trajectory.statistics.drafted;
            accepted += trajectory.statistics.accepted;
            acceptedSteps += trajectory.statistics.acceptedLengths.reduce((sum, count, length) => sum + count * length, 0);
          }
          batchedCalls += result.statistics.targetCalls;
          drafterMs += result.statistics.drafterMs;
        }
        const drafterMicrosecondsPerToken = (1000 * drafterMs) / tokens;
        const stepMs = NOMINAL_STEP_MS * calls;
        rows.push({
          method,
          trajectories,
          temperature,
          tokensPerCall: tokens / calls,
          batchedTokensPerCall: tokens / batchedCalls,
          meanAcceptedLength: acceptedSteps / calls,
          acceptanceRate: drafted === 0 ? 0 : accepted / drafted,
          draftedPerStep: drafted / calls,
          drafterMicrosecondsPerToken,
          drafterOverheadAtNominalStep: drafterMs / (drafterMs + stepMs),
        });
      }
    }
  }

  return rows;
}

function report(rows: Row[]): void {
  if (json) {
    console.log(JSON.stringify({ target: "markov order 2, vocab 64", maxTokens: MAX_TOKENS, prompts: PROMPTS, rows }, null, 2));
  } else {
    console.log(`Synthetic target: Markov order 2, vocabulary 64; ${PROMPTS} prompts × ${MAX_TOKENS} tokens; one table per method.`);
    console.log("A = tokens per target call per trajectory; overhead = drafter time against a nominal 1 ms per trajectory per call.\n");
    const header = ["T", "N", "method", "A", "accepted/step", "accept rate", "drafted/step", "drafter µs/token", "overhead"];
    const lines = rows.map((row) => [
      String(row.temperature),
      String(row.trajectories),
      row.method,
      row.tokensPerCall.toFixed(2),
      row.meanAcceptedLength.toFixed(2),
      `${(100 * row.acceptanceRate).toFixed(0)} %`,
      row.draftedPerStep.toFixed(1),
      row.drafterMicrosecondsPerToken.toFixed(1),
      `${(100 * row.drafterOverheadAtNominalStep).toFixed(1)} %`,
    ]);
    const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i]?.length ?? 0)));
    const format = (cells: string[]): string =>
      cells.map((cell, i) => (i === 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  ");
    console.log(format(header));
    for (const line of lines) console.log(format(line));
  }
}

measure().then(report, (error: unknown) => {
  console.error(error);
  process.exit(1);
});
