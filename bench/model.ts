// `npm run bench`: STAND on a real model against every model-free baseline, same model, same
// machine, one run (see language-server/src/model/benchmark.ts). See `--help`.
import { readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, hostname, totalmem } from "node:os";
import { basename, resolve } from "node:path";
import { parseArgs } from "node:util";
import { runBenchmark } from "../language-server/src/model/benchmark";
import { tokenizePrompt, type PromptKind } from "../language-server/src/model/prompt";
import { loadRuntime, threadsForModel, type GpuChoice } from "../language-server/src/model/runtime";
import { restartWithModelProcessEnv } from "../common/modelProcess";
const HELP = `Usage: npm run bench -- [options]
  --model PATH          GGUF model (default: the embedded models/stand-code-mini.gguf)
  --prompts FILE        one JSON object per line: {"prompt": "...", "kind": "code" | "chat"} (default: bench/prompts.jsonl)
  --trajectories LIST   comma-separated N values (default: 1,4,16)
  --temperature LIST    comma-separated temperatures (default: 0,0.7)
  --max-tokens N        tokens per trajectory (default: 96)
  --repetitions N       interleaved repetitions; medians are reported (default: 2)
  --gpu MODE            auto | cuda | vulkan | metal | false (default: false)
  --threads N           CPU threads (default: as the product chooses for the model's size and backend)
  --step-widths LIST    also run STAND adaptive with every step padded to each width (one shape per step; for GPUs)
  --json                print only the JSON result
  --out FILE            where to write the JSON (default: bench/results/<model>-<date>.json)`;

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "models/stand-code-mini.gguf" },
    prompts: { type: "string", default: "bench/prompts.jsonl" },
    trajectories: { type: "string", default: "1,4,16" },
    temperature: { type: "string", default: "0,0.7" },
    "max-tokens": { type: "string", default: "96" },
    repetitions: { type: "string", default: "2" },
    gpu: { type: "string", default: "false" },
    threads: { type: "string" },
    "step-widths": { type: "string", default: "" },
    json: { type: "boolean", default: false },
    out: { type: "string" },
    help: { type: "boolean", default: false },
  },
});

function numbers(list: string, name: string): number[] {
  const parsed = list.split(",").map(Number);
  if (parsed.some((value) => !Number.isFinite(value) || value < 0))
    throw new Error(`--${name} takes comma-separated non-negative numbers, not "${list}"`);
  return parsed;
}

const log = (...parts: unknown[]): void => {
  if (!values.json) console.log(...parts);
};
async function main(): Promise<void> {
  restartWithModelProcessEnv();
  if (values.help) {
    console.log(HELP);
    return;
  }
  const trajectoryCounts = numbers(values.trajectories!, "trajectories");
  const temperatures = numbers(values.temperature!, "temperature");
  const maxTokens = numbers(values["max-tokens"]!, "max-tokens")[0]!;
  const repetitions = numbers(values.repetitions!, "repetitions")[0]!;
  const stepWidths = values["step-widths"] ? numbers(values["step-widths"], "step-widths") : [];
  if (stepWidths.some((width) => !Number.isInteger(width) || width < 2)) throw new Error("--step-widths takes whole numbers of at least 2");
  const gpu: GpuChoice = values.gpu === "false" ? false : (values.gpu as GpuChoice);
  const prompts = readFileSync(values.prompts!, "utf8")
    .split("\n")
    .filter((line) => line.trim())
    .map((line, i) => {
      const parsed = JSON.parse(line) as { prompt?: unknown; kind?: unknown };
      if (typeof parsed.prompt !== "string" || (parsed.kind !== "code" && parsed.kind !== "chat")) {
        throw new Error(`${values.prompts}:${i + 1}: expected {"prompt": string, "kind": "code" | "chat"}`);
      }
      return { text: parsed.prompt, kind: parsed.kind as PromptKind };
    });

  const runtime = await loadRuntime(gpu);
  if (runtime.fallbackReason) log(`note: ${runtime.fallbackReason}`);
  const model = await runtime.llama.loadModel({ modelPath: resolve(values.model!) });
  const [requestedThreads] = values.threads === undefined ? [] : numbers(values.threads, "threads");
  if (requestedThreads !== undefined && !(Number.isInteger(requestedThreads) && requestedThreads >= 1))
    throw new Error("--threads takes a whole number of at least 1");
  const threads = requestedThreads ?? threadsForModel(model.size, runtime.llama.cpuMathCores, runtime.backend !== "cpu");
  const promptTokens = await Promise.all(prompts.map((prompt) => tokenizePrompt(model, prompt)));
  log(
    `model ${basename(values.model!)} (${(model.size / 1e6).toFixed(1)} MB), backend ${runtime.backend}${runtime.devices.length ? ` (${runtime.devices.join(", ")})` : ""}, ${threads} thread(s)`,
  );
  log(`${prompts.length} prompts × ${maxTokens} tokens, ${repetitions} interleaved repetitions, medians\n`);
  const rows = await runBenchmark(model, {
    prompts: promptTokens,
    trajectoryCounts,
    temperatures,
    maxTokens,
    repetitions,
    threads,
    stepWidths,
    log,
  });

  const nodeLlamaCppVersion = (JSON.parse(readFileSync(resolve("node_modules/node-llama-cpp/package.json"), "utf8")) as { version: string })
    .version;
  const result = {
    date: new Date().toISOString(),
    machine: { host: hostname(), cpu: cpus()[0]?.model, cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30) },
    model: { path: values.model, bytes: model.size, trainContextSize: model.trainContextSize },
    backend: runtime.backend,
    devices: runtime.devices,
    threads,
    versions: { node: process.version, "node-llama-cpp": nodeLlamaCppVersion },
    settings: { maxTokens, repetitions, prompts: values.prompts, promptCount: prompts.length, stepWidths },
    rows,
  };
  const out = values.out ?? `bench/results/${basename(values.model!, ".gguf")}-${result.date.slice(0, 10)}.json`;
  mkdirSync(resolve(out, ".."), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else log(`written ${out}`);
  await model.dispose();
  await runtime.llama.dispose();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
