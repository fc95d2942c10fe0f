// `npm run bench:busy-wait`: what stand.busyWait (language-server/src/model/idleCoreSpinner.ts)
// gives, as the server decodes. Whether a core sleeps between hand-offs depends on what the
// machine did over the last many milliseconds, so the spinner cannot be switched on and off
// between the runs of one process (interleaved per prompt, both sides measured alike): each side
// runs in a process of its own, on and off alternately, pair after pair. Each process decodes every
// prompt with autoregressive decoding and STAND (the server's choice of shape), interleaved, on
// targets made as the server makes them. See `--help`.
import { execFileSync } from "node:child_process";
import { cpus, hostname } from "node:os";
import { basename, resolve } from "node:path";
import { parseArgs } from "node:util";
import { restartWithModelProcessEnv } from "../common/modelProcess";
import { EMBEDDED_MODEL_FILE } from "../common/product";
import { defaultSettings } from "../common/protocol";
import { adaptiveArms, CHAIN_SHAPE } from "../language-server/src/draftShapes";
import { benchmarkSampling, runOrder, runSeed } from "../language-server/src/model/benchmarkProtocol";
import { IdleCoreSpinner } from "../language-server/src/model/idleCoreSpinner";
import { LlamaTarget } from "../language-server/src/model/llamaTarget";
import { tokenizePrompt } from "../language-server/src/model/prompt";
import { loadRuntime, threadsForModel } from "../language-server/src/model/runtime";
import { endOfGenerationTokens } from "../language-server/src/model/vocabulary";
import { Decoder, DraftBudget, DraftShape, NgramTable, NoDrafter, ShapeChoice, standDrafter } from "../language-server/src/stand";
import { numberList, numberOf } from "./optionNumbers";
import { readPrompts } from "./promptFile";
import { writeFileAtomically } from "../tools/writeFileAtomically";

const HELP = `Usage: npm run bench:busy-wait -- [options]
  --model PATH          GGUF model (default: ${EMBEDDED_MODEL_FILE})
  --prompts LIST        comma-separated prompt files (default: bench/prompts.jsonl,bench/prompts-unseen.jsonl)
  --trajectories LIST   N values (default: 1,4)
  --temperature LIST    temperatures (default: 0,0.7)
  --max-tokens N        tokens per trajectory (default: 64)
  --pairs N             processes with the busy wait on and off, alternately, per N and T (default: 3)
  --json                print only the JSON result
  --out FILE            where to write the JSON (default: bench/results/busy-wait-<date>.local.json)`;

const { values } = parseArgs({
  options: {
    model: { type: "string", default: EMBEDDED_MODEL_FILE },
    prompts: { type: "string", default: "bench/prompts.jsonl,bench/prompts-unseen.jsonl" },
    trajectories: { type: "string", default: "1,4" },
    temperature: { type: "string", default: "0,0.7" },
    "max-tokens": { type: "string", default: "64" },
    pairs: { type: "string", default: "3" },
    json: { type: "boolean", default: false },
    out: { type: "string" },
    help: { type: "boolean", default: false },
    // One side of one pair (the script runs itself with it).
    side: { type: "string" },
  },
});

interface Side {
  readonly trajectories: number;
  readonly temperature: number;
  readonly busyWait: boolean;
}

/** Tokens per second of each method in one process. */
interface Throughputs {
  readonly autoregressive: number;
  readonly stand: number;
}

/** One side of a pair: this process decodes every prompt with both methods, the spinner on or off. */
async function runSide({ trajectories, temperature, busyWait }: Side, maxTokens: number): Promise<Throughputs & { spinning: boolean }> {
  const runtime = await loadRuntime(false);
  const model = await runtime.llama.loadModel({ modelPath: resolve(values.model) });
  const threads = threadsForModel(model.size, runtime.llama.cpuMathCores, false);
  const spinner = busyWait ? await IdleCoreSpinner.forModel(threads, runtime.llama.cpuMathCores) : undefined;
  const prompts = await Promise.all(
    values.prompts.split(",").flatMap((file) => readPrompts(file).map((prompt) => tokenizePrompt(model, prompt))),
  );
  const stopTokens = endOfGenerationTokens(model);
  const sampling = benchmarkSampling(temperature);
  const contextSize = Math.max(...prompts.map((prompt) => prompt.length)) + maxTokens + 64;
  const target = await LlamaTarget.create(model, { trajectories, contextSize, threads, spinner });
  // As in the server: one choice (and budget) learns across requests, one table is reused.
  const choice = new ShapeChoice(adaptiveArms(sampling, trajectories, DraftBudget.for(target)));
  const table = new NgramTable();
  const methods = {
    autoregressive: () => new Decoder({ target, drafter: new NoDrafter(), shape: DraftShape.chain(0) }),
    stand: () => new Decoder({ target, drafter: standDrafter(table), shape: CHAIN_SHAPE, choice }),
  };
  const totals = { autoregressive: { tokens: 0, ms: 0 }, stand: { tokens: 0, ms: 0 } };
  const decode = async (method: keyof typeof methods, prompt: number[], seed: number): Promise<{ tokens: number; ms: number }> => {
    for (let t = 0; t < trajectories; t++) await target.reset(t);
    table.clear();
    const started = performance.now();
    const result = await methods[method]().decode({
      prompts: Array.from({ length: trajectories }, () => prompt),
      maxTokens,
      sampling,
      seed,
      stopTokens,
    });
    return { tokens: result.statistics.tokens, ms: performance.now() - started };
  };
  // Untimed warm-up: graphs, allocations, the budget's and the choice's first lessons.
  for (const [p, prompt] of prompts.slice(0, 4).entries())
    for (const method of ["autoregressive", "stand"] as const) await decode(method, prompt, p);
  for (let repetition = 0; repetition < 2; repetition++) {
    for (const [p, prompt] of prompts.entries()) {
      for (const method of runOrder(["autoregressive", "stand"] as const, repetition + p)) {
        const run = await decode(method, prompt, runSeed(repetition, 0, p));
        totals[method].tokens += run.tokens;
        totals[method].ms += run.ms;
      }
    }
  }
  await spinner?.dispose();
  await target.dispose();
  await model.dispose();
  await runtime.llama.dispose();
  return {
    autoregressive: (1000 * totals.autoregressive.tokens) / totals.autoregressive.ms,
    stand: (1000 * totals.stand.tokens) / totals.stand.ms,
    spinning: spinner !== undefined,
  };
}

/** Runs one side in a process of its own (this script, with --side). */
function spawnSide(side: Side): Throughputs & { spinning: boolean } {
  const forwarded = ["--model", values.model, "--prompts", values.prompts, "--max-tokens", values["max-tokens"]];
  const output = execFileSync(
    process.execPath,
    [...process.execArgv, process.argv[1] ?? "", ...forwarded, "--side", JSON.stringify(side)],
    {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  return JSON.parse(output.trim().split("\n").pop() ?? "") as Throughputs & { spinning: boolean };
}

const spread = (ratios: number[]) => {
  const sorted = [...ratios].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)] ?? 0, low: sorted[0] ?? 0, high: sorted[sorted.length - 1] ?? 0, ratios };
};

async function main(): Promise<void> {
  restartWithModelProcessEnv();
  if (values.help) {
    console.log(HELP);
    return;
  }
  const pairs = numberOf(values.pairs, "pairs", { whole: true, least: 1 });
  const maxTokens = numberOf(values["max-tokens"], "max-tokens", { whole: true, least: 1 });
  if (values.side !== undefined) {
    console.log(JSON.stringify(await runSide(JSON.parse(values.side) as Side, maxTokens)));
    return;
  }
  const log = (line: string): void => {
    if (!values.json) console.log(line);
  };
  const cells = [];
  for (const trajectories of numberList(values.trajectories, "trajectories", { whole: true })) {
    for (const temperature of numberList(values.temperature, "temperature")) {
      const on: Throughputs[] = [];
      const off: Throughputs[] = [];
      let spinning = false;
      for (let pair = 0; pair < pairs; pair++) {
        // Which side goes first alternates too, so that a machine that gets busier favours neither.
        for (const busyWait of pair % 2 === 0 ? [true, false] : [false, true]) {
          const side = spawnSide({ trajectories, temperature, busyWait });
          spinning ||= side.spinning;
          (busyWait ? on : off).push(side);
        }
      }
      const ratio = (method: keyof Throughputs) => spread(on.map((side, i) => side[method] / (off[i]?.[method] ?? Number.NaN)));
      const cell = { trajectories, temperature, spinning, autoregressive: ratio("autoregressive"), stand: ratio("stand"), on, off };
      cells.push(cell);
      const show = ({ median, low, high }: ReturnType<typeof spread>) => `${median.toFixed(3)} (${low.toFixed(3)}–${high.toFixed(3)})`;
      log(
        `N = ${trajectories}, T = ${temperature}: busy wait on / off, ${pairs} pairs: autoregressive ${show(cell.autoregressive)}, STAND ${show(cell.stand)}` +
          (spinning ? "" : " (no spinner here: the model leaves no core free, or not Linux)"),
      );
    }
  }
  const result = {
    date: new Date().toISOString(),
    command: `npm run bench:busy-wait -- ${process.argv.slice(2).join(" ")}`.trim(),
    machine: { host: hostname(), cpu: cpus()[0]?.model, cores: cpus().length },
    model: basename(values.model),
    sampler: { topK: defaultSettings.topK, topP: defaultSettings.topP, minP: defaultSettings.minP },
    cells,
  };
  const out = values.out ?? `bench/results/busy-wait-${result.date.slice(0, 10)}.local.json`;
  writeFileAtomically(out, JSON.stringify(result, null, 2) + "\n");
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else log(`written ${out}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
