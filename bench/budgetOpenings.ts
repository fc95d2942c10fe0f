// `npm run bench:budget`: how a fresh draft budget starts. Each attempt makes a budget and shape
// choice as the server makes them for a new context, then decodes the prompts one after another,
// in an order of its own, with STAND (the table cleared before each, as a benchmark run does) and
// reports how much each decode drafted, in the order decoded. A budget that priced drafts out after a decode's opening shows as decodes in a
// row that draft nothing where the others draft. See `--help`.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { restartWithModelProcessEnv } from "../common/modelProcess";
import { EMBEDDED_MODEL_FILE } from "../common/product";
import { adaptiveArms, CHAIN_SHAPE } from "../language-server/src/draftShapes";
import { benchmarkSampling } from "../language-server/src/model/benchmarkProtocol";
import { IdleCoreSpinner } from "../language-server/src/model/idleCoreSpinner";
import { LlamaTarget } from "../language-server/src/model/llamaTarget";
import { tokenizePrompt } from "../language-server/src/model/prompt";
import { loadRuntime, threadsForModel } from "../language-server/src/model/runtime";
import { endOfGenerationTokens } from "../language-server/src/model/vocabulary";
import { drafterFor } from "../language-server/src/decoding";
import {
  Decoder,
  DraftBudget,
  NgramTable,
  Random,
  ShapeChoice,
  standDrafter,
  standThenLookupDrafter,
  type Drafter,
} from "../language-server/src/stand";
import { numberOf } from "./optionNumbers";
import { readPrompts } from "./promptFile";
import { writeFileAtomically } from "../tools/writeFileAtomically";

const HELP = `Usage: npm run bench:budget -- [options]
  --model PATH          GGUF model (default: ${EMBEDDED_MODEL_FILE})
  --prompts LIST        comma-separated prompt files, decoded in order (default: bench/prompts.jsonl,bench/prompts-unseen.jsonl)
  --trajectories N      candidates per decode (default: 1)
  --temperature T       (default: 0)
  --max-tokens N        tokens per trajectory (default: 64)
  --attempts N          fresh budgets, each decoding every prompt (default: 20)
  --drafter NAME        stand (STAND's table) or stand-then-lookup (the table, then prompt lookup where it
                        has nothing); default: the server's on this backend (see language-server/src/decoding.ts)
  --stall N             decodes in a row without a draft that count as a stall (default: 3)
  --json                print only the JSON result
  --out FILE            where to write the JSON (default: bench/results/budget-openings-<date>.local.json)`;

const { values } = parseArgs({
  options: {
    model: { type: "string", default: EMBEDDED_MODEL_FILE },
    prompts: { type: "string", default: "bench/prompts.jsonl,bench/prompts-unseen.jsonl" },
    trajectories: { type: "string", default: "1" },
    temperature: { type: "string", default: "0" },
    "max-tokens": { type: "string", default: "64" },
    attempts: { type: "string", default: "20" },
    stall: { type: "string", default: "3" },
    drafter: { type: "string" },
    json: { type: "boolean", default: false },
    out: { type: "string" },
    help: { type: "boolean", default: false },
  },
});

/** The drafters the server uses, by --drafter's names: on a CPU the table alone, on a GPU the table then prompt lookup (see drafterFor). */
const DRAFTERS = { stand: standDrafter, "stand-then-lookup": standThenLookupDrafter } as const;

/** Below this many drafted tokens a call, a decode counts as not drafting. */
const NOT_DRAFTING = 0.2;

async function main(): Promise<void> {
  restartWithModelProcessEnv();
  if (values.help) {
    console.log(HELP);
    return;
  }
  const log = (line: string): void => {
    if (!values.json) console.log(line);
  };
  const trajectories = numberOf(values.trajectories, "trajectories", { whole: true, least: 1 });
  const temperature = numberOf(values.temperature, "temperature", { least: 0 });
  const maxTokens = numberOf(values["max-tokens"], "max-tokens", { whole: true, least: 1 });
  const attempts = numberOf(values.attempts, "attempts", { whole: true, least: 1 });
  const stallLength = numberOf(values.stall, "stall", { whole: true, least: 1 });
  if (values.drafter !== undefined && !(values.drafter in DRAFTERS)) {
    throw new Error(`--drafter takes ${Object.keys(DRAFTERS).join(" or ")}, not ${values.drafter}`);
  }

  const runtime = await loadRuntime(false);
  const model = await runtime.llama.loadModel({ modelPath: resolve(values.model) });
  const threads = threadsForModel(model.size, runtime.llama.cpuMathCores, false);
  const spinner = await IdleCoreSpinner.forModel(threads, runtime.llama.cpuMathCores);
  const prompts = await Promise.all(
    values.prompts.split(",").flatMap((file) => readPrompts(file).map((prompt) => tokenizePrompt(model, prompt))),
  );
  const sampling = benchmarkSampling(temperature);
  const stopTokens = endOfGenerationTokens(model);
  const contextSize = Math.max(...prompts.map((prompt) => prompt.length)) + maxTokens + 64;
  const target = await LlamaTarget.create(model, { trajectories, contextSize, threads, spinner });
  const table = new NgramTable();
  // Without --drafter, the server's for this backend.
  const drafter =
    values.drafter === undefined
      ? (of: NgramTable): Drafter => drafterFor(runtime.llama.gpu !== false, of)
      : DRAFTERS[values.drafter as keyof typeof DRAFTERS];
  const drafterName = drafter(new NgramTable()).name;
  log(
    `${drafterName} at N = ${String(trajectories)}, T = ${String(temperature)}, ${String(prompts.length)} prompts, ${String(maxTokens)} tokens each`,
  );
  try {
    const results = [];
    for (let attempt = 0; attempt < attempts; attempt++) {
      // As the server makes them for a new context (see ModelSession.shapeChoiceFor).
      const choice = new ShapeChoice(adaptiveArms(sampling, trajectories, DraftBudget.for(target)));
      const draftedPerCall: number[] = [];
      // Each budget meets the prompts in an order of its own: how a budget starts depends on the opening it meets.
      const order = shuffled(
        prompts.map((_, p) => p),
        new Random(attempt + 1),
      );
      for (const p of order) {
        const prompt = prompts[p] ?? [];
        for (let t = 0; t < trajectories; t++) await target.reset(t);
        table.clear();
        const decoder = new Decoder({ target, drafter: drafter(table), shape: CHAIN_SHAPE, choice });
        const { statistics } = await decoder.decode({
          prompts: Array.from({ length: trajectories }, () => prompt),
          maxTokens,
          sampling,
          seed: attempt * 1000 + p,
          stopTokens,
        });
        draftedPerCall.push(statistics.targetCalls === 0 ? 0 : statistics.drafted / statistics.targetCalls);
      }
      const longestStall = longestRun(draftedPerCall, (drafted) => drafted < NOT_DRAFTING);
      results.push({ order, draftedPerCall, longestStall });
      log(
        `attempt ${String(attempt + 1)}: ${draftedPerCall.map((drafted) => drafted.toFixed(1)).join(" ")} (longest run without drafts: ${String(longestStall)})`,
      );
    }
    const stalled = results.filter((result) => result.longestStall >= stallLength).length;
    const meanDrafted = results.reduce((sum, result) => sum + mean(result.draftedPerCall), 0) / results.length;
    log(
      `\n${String(stalled)} of ${String(attempts)} fresh budgets went ${String(stallLength)} or more decodes in a row without a draft; ${meanDrafted.toFixed(2)} tokens drafted a call on average`,
    );
    const result = {
      date: new Date().toISOString(),
      model: values.model,
      settings: {
        drafter: drafterName,
        trajectories,
        temperature,
        maxTokens,
        attempts,
        stall: stallLength,
        prompts: values.prompts.split(","),
      },
      stalled,
      meanDraftedPerCall: meanDrafted,
      attempts: results,
    };
    const out = values.out ?? `bench/results/budget-openings-${result.date.slice(0, 10)}.local.json`;
    writeFileAtomically(out, JSON.stringify(result, null, 2) + "\n");
    if (values.json) console.log(JSON.stringify(result, null, 2));
    else log(`written ${out}`);
  } finally {
    await target.dispose();
    await spinner?.dispose();
    await model.dispose();
    await runtime.llama.dispose();
  }
}

/** The items in a random order (Fisher–Yates). */
function shuffled<T>(items: readonly T[], random: Random): T[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [result[i], result[j]] = [result[j] as T, result[i] as T];
  }
  return result;
}

/** The most values in a row that `holds` holds for. */
function longestRun(values: readonly number[], holds: (value: number) => boolean): number {
  let longest = 0;
  let run = 0;
  for (const value of values) {
    run = holds(value) ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest;
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
