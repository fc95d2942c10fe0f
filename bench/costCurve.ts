// `npm run bench:cost`: what a call with k draft tokens per trajectory costs relative to a plain
// step (k = 0), for each model and N, measured on this machine. Every model, N and k is timed in
// every round, in a balanced order (runOrder), and each ratio is taken within one round, so a
// machine that gets busier or quieter moves both sides of a ratio alike; the spread over rounds is
// reported. A cost twin (`npm run model:twin`) gives a real model's curve with the embedded
// model's function.
import { readFileSync } from "node:fs";
import { cpus, hostname } from "node:os";
import { basename, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import { restartWithModelProcessEnv } from "../common/modelProcess";
import { EMBEDDED_MODEL_FILE } from "../common/product";
import { defaultSettings } from "../common/protocol";
import { LlamaTarget } from "../language-server/src/model/llamaTarget";
import { median } from "../language-server/src/model/benchmarkSummary";
import { loadRuntime, threadsForModel } from "../language-server/src/model/runtime";
import { DraftTree, type SamplingOptions } from "../language-server/src/stand";
import { numberList } from "./optionNumbers";
import { writeFileAtomically } from "../tools/writeFileAtomically";

const HELP = `Usage: npm run bench:cost -- [options]
  --model LIST          comma-separated GGUF models, measured side by side (default: ${EMBEDDED_MODEL_FILE})
  --trajectories LIST   N values (default: 1,4)
  --drafts LIST         draft tokens per trajectory, k (default: 0,1,2,3,4,6,8; 0 is the plain step)
  --rounds N            rounds; each times every model, N and k (default: 8)
  --calls N             timed calls per model, N and k in a round, after an untimed one of the same shape (default: 3)
  --threads N           CPU threads (default: as the product chooses for each model's size)
  --json                print only the JSON result
  --out FILE            where to write the JSON (default: bench/results/cost-curve-<date>.local.json)`;

const { values } = parseArgs({
  options: {
    model: { type: "string", default: EMBEDDED_MODEL_FILE },
    trajectories: { type: "string", default: "1,4" },
    drafts: { type: "string", default: "0,1,2,3,4,6,8" },
    rounds: { type: "string", default: "8" },
    calls: { type: "string", default: "3" },
    threads: { type: "string" },
    json: { type: "boolean", default: false },
    out: { type: "string" },
    help: { type: "boolean", default: false },
  },
});

/** The product's sampler: each output's probabilities are computed as in a real decode. */
const SAMPLING: SamplingOptions = {
  temperature: defaultSettings.temperature,
  topK: defaultSettings.topK,
  topP: defaultSettings.topP,
  minP: defaultSettings.minP,
};
const CONTEXT_TOKENS = 48;

interface Arm {
  readonly model: string;
  readonly trajectories: number;
  readonly target: LlamaTarget;
  /** Milliseconds of a call with k drafts, one median per round, by k. */
  readonly times: Map<number, number[]>;
}

async function main(): Promise<void> {
  restartWithModelProcessEnv();
  if (values.help) {
    console.log(HELP);
    return;
  }
  const log = (line: string): void => {
    if (!values.json) console.log(line);
  };
  const paths = values.model.split(",");
  const trajectoryCounts = numberList(values.trajectories, "trajectories", { whole: true, least: 1 });
  const drafts = numberList(values.drafts, "drafts", { whole: true, least: 0 });
  if (!drafts.includes(0)) drafts.unshift(0);
  const [rounds = 8] = numberList(values.rounds, "rounds", { whole: true, least: 1 });
  const [calls = 3] = numberList(values.calls, "calls", { whole: true, least: 1 });
  const threadsOverride = values.threads === undefined ? undefined : numberList(values.threads, "threads", { whole: true, least: 1 })[0];

  const runtime = await loadRuntime(false);
  const models: { path: string; model: LlamaModel; threads: number }[] = [];
  const arms: Arm[] = [];
  try {
    for (const path of paths) {
      const model = await runtime.llama.loadModel({ modelPath: resolve(path) });
      const threads = threadsOverride ?? threadsForModel(model.size, runtime.llama.cpuMathCores, false);
      models.push({ path, model, threads });
      log(`${basename(path)}: ${(model.size / 1e6).toFixed(0)} MB, ${threads} thread(s)`);
      for (const trajectories of trajectoryCounts) {
        const target = await LlamaTarget.create(model, { trajectories, contextSize: CONTEXT_TOKENS + Math.max(...drafts) + 16, threads });
        arms.push({ model: path, trajectories, target, times: new Map(drafts.map((k) => [k, []])) });
      }
    }
    const firstModel = models[0]?.model;
    if (!firstModel) throw new Error("--model names no model");
    const text = readFileSync(resolve("bench/prompts.jsonl"), "utf8").split("\n")[0] ?? "";
    const context = firstModel.tokenize((JSON.parse(text) as { prompt: string }).prompt).slice(0, CONTEXT_TOKENS);
    log(
      `${rounds} rounds × ${calls} calls per model, N and k (${drafts.join(", ")}), balanced order; sampler T = ${SAMPLING.temperature}\n`,
    );

    const started = performance.now();
    for (let round = 0; round < rounds; round++) {
      for (const [a, arm] of rotate(arms, round).entries()) {
        for (const k of rotate(drafts, round + a)) arm.times.get(k)?.push(await timeCall(arm, context, k, calls));
      }
      if (!values.json)
        process.stderr.write(`round ${round + 1} of ${rounds} done at ${((performance.now() - started) / 1000).toFixed(0)} s\r`);
    }

    const rows = arms.map((arm) => {
      const plain = arm.times.get(0) ?? [];
      const curve = drafts.map((k) => {
        const ratios = (arm.times.get(k) ?? []).map((time, round) => time / (plain[round] ?? NaN));
        return { drafts: k, median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
      });
      return { model: arm.model, trajectories: arm.trajectories, plainStepMs: median(plain), curve };
    });
    for (const row of rows) {
      log(`${basename(row.model)}, N = ${row.trajectories}: plain step ${row.plainStepMs.toFixed(1)} ms (median)`);
      log(`  k          ${row.curve.map((point) => String(point.drafts).padStart(11)).join("")}`);
      log(`  cost       ${row.curve.map((point) => `${point.median.toFixed(2)}×`.padStart(11)).join("")}`);
      log(`  min–max    ${row.curve.map((point) => `${point.min.toFixed(2)}–${point.max.toFixed(2)}`.padStart(11)).join("")}`);
    }
    const result = {
      date: new Date().toISOString(),
      machine: { host: hostname(), cpu: cpus()[0]?.model, cores: cpus().length },
      models: models.map(({ path, model, threads }) => ({ path, bytes: model.size, threads })),
      settings: { rounds, calls, drafts, trajectoryCounts, sampling: SAMPLING, contextTokens: context.length },
      rows,
    };
    const out = values.out ?? `bench/results/cost-curve-${result.date.slice(0, 10)}.local.json`;
    writeFileAtomically(out, JSON.stringify(result, null, 2) + "\n");
    if (values.json) console.log(JSON.stringify(result, null, 2));
    else log(`\nwritten ${out}`);
  } finally {
    for (const arm of arms) await arm.target.dispose();
    for (const { model } of models) await model.dispose();
    await runtime.llama.dispose();
  }
}

/** The median milliseconds of `calls` calls with k drafts per trajectory, after an untimed one of that shape (llama.cpp reuses a graph only for the same shape). */
async function timeCall(arm: Arm, context: Token[], k: number, calls: number): Promise<number> {
  const requests = Array.from({ length: arm.trajectories }, (_, trajectory) => {
    const draft = new DraftTree(context);
    for (let i = 0, node = 0; i < k; i++) node = draft.addChild(node, context[i % context.length] ?? context[0] ?? 0, i + 1);
    return { trajectory, context, draft };
  });
  const times: number[] = [];
  for (let call = 0; call <= calls; call++) {
    const started = performance.now();
    await arm.target.evaluate(requests, SAMPLING);
    if (call > 0) times.push(performance.now() - started);
  }
  return median(times);
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
