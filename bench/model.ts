// `npm run bench`: STAND on a real model against every model-free baseline, same model, same
// machine, one run (see language-server/src/model/benchmark.ts). See `--help`.
import { readFileSync } from "node:fs";
import { cpus, hostname, loadavg, totalmem } from "node:os";
import { basename, resolve } from "node:path";
import { parseArgs } from "node:util";
import { runBenchmark } from "../language-server/src/model/benchmark";
import { IdleCoreSpinner } from "../language-server/src/model/idleCoreSpinner";
import { tokenizePrompt } from "../language-server/src/model/prompt";
import { numberList, numberOf } from "./optionNumbers";
import { readPrompts } from "./promptFile";
import { runTable } from "./resultsReport";
import { loadRuntime, parseGpuChoice, threadsForModel } from "../language-server/src/model/runtime";
import { restartWithModelProcessEnv } from "../common/modelProcess";
import { defaultSettings } from "../common/protocol";
import { writeFileAtomically } from "../tools/writeFileAtomically";

const HELP = `Usage: npm run bench -- [options]
  --model PATH          GGUF model (default: the embedded models/stand-code-mini.gguf)
  --prompts LIST        comma-separated prompt files, each reported on its own; one JSON object per line:
                        {"prompt": "...", "kind": "code" | "chat"} (default: bench/prompts.jsonl,bench/prompts-unseen.jsonl)
  --trajectories LIST   comma-separated N values (default: 1,4,16)
  --temperature LIST    comma-separated temperatures (default: 0,0.7)
  --top-k N, --top-p P, --min-p P
                        the sampler at T > 0 (default: the product's, ${defaultSettings.topK} / ${defaultSettings.topP} / ${defaultSettings.minP})
  --max-tokens N        tokens per trajectory (default: 96)
  --repetitions N       interleaved repetitions; medians are reported with their spread (default: 2)
  --gpu MODE            auto | cuda | vulkan | metal | false (default: false)
  --threads N           CPU threads (default: as the product chooses for the model's size and backend)
  --busy-wait on|off    keep an idle core awake, as stand.busyWait does in the server where the model
                        leaves a core free: through the cells where the server would, every method
                        of the cell alike (default: on)
  --step-widths LIST    also run STAND adaptive with every step padded to each width (one shape per step; for GPUs)
  --json                print only the JSON result
  --out FILE            where to write the JSON (default: bench/results/<model>-<date>.json)`;

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "models/stand-code-mini.gguf" },
    prompts: { type: "string", default: "bench/prompts.jsonl,bench/prompts-unseen.jsonl" },
    trajectories: { type: "string", default: "1,4,16" },
    temperature: { type: "string", default: "0,0.7" },
    "top-k": { type: "string", default: String(defaultSettings.topK) },
    "top-p": { type: "string", default: String(defaultSettings.topP) },
    "min-p": { type: "string", default: String(defaultSettings.minP) },
    "max-tokens": { type: "string", default: "96" },
    repetitions: { type: "string", default: "2" },
    gpu: { type: "string", default: "false" },
    threads: { type: "string" },
    "busy-wait": { type: "string", default: "on" },
    "step-widths": { type: "string", default: "" },
    json: { type: "boolean", default: false },
    out: { type: "string" },
    help: { type: "boolean", default: false },
  },
});

const log = (...parts: unknown[]): void => {
  if (!values.json) console.log(...parts);
};
async function main(): Promise<void> {
  restartWithModelProcessEnv();
  if (values.help) {
    console.log(HELP);
    return;
  }
  const trajectoryCounts = numberList(values.trajectories, "trajectories");
  const temperatures = numberList(values.temperature, "temperature");
  const sampler = {
    topK: numberOf(values["top-k"], "top-k"),
    topP: numberOf(values["top-p"], "top-p"),
    minP: numberOf(values["min-p"], "min-p"),
  };
  const maxTokens = numberOf(values["max-tokens"], "max-tokens");
  const repetitions = numberOf(values.repetitions, "repetitions");
  const stepWidths = values["step-widths"] ? numberList(values["step-widths"], "step-widths", { whole: true, least: 2 }) : [];
  if (values["busy-wait"] !== "on" && values["busy-wait"] !== "off")
    throw new Error(`--busy-wait takes on or off, not "${values["busy-wait"]}"`);
  const gpu = parseGpuChoice(values.gpu);
  const promptFiles = values.prompts.split(",").filter((file) => file.trim());
  const prompts = promptFiles.map((file) => ({ file, prompts: readPrompts(file) }));

  const runtime = await loadRuntime(gpu);
  if (runtime.fallbackReason) log(`note: ${runtime.fallbackReason}`);
  const model = await runtime.llama.loadModel({ modelPath: resolve(values.model) });
  const requestedThreads = values.threads === undefined ? undefined : numberOf(values.threads, "threads", { whole: true, least: 1 });
  const threads = requestedThreads ?? threadsForModel(model.size, runtime.llama.cpuMathCores, runtime.backend !== "cpu");
  const spinner = values["busy-wait"] === "on" ? await IdleCoreSpinner.forModel(threads, runtime.llama.cpuMathCores) : undefined;
  const promptSets = await Promise.all(
    prompts.map(async ({ file, prompts: set }) => ({
      name: basename(file),
      prompts: await Promise.all(set.map((prompt) => tokenizePrompt(model, prompt))),
    })),
  );
  log(
    `model ${basename(values.model)} (${(model.size / 1e6).toFixed(1)} MB), backend ${runtime.backend}${runtime.devices.length ? ` (${runtime.devices.join(", ")})` : ""}${runtime.backend === "cuda" ? `, CUDA graphs ${runtime.cudaGraphs ? "on" : "off"}` : ""}, ${threads} thread(s), ${spinner ? "an idle core kept awake" : "no busy wait"}`,
  );
  log(
    `${promptSets.map((set) => `${set.name}: ${set.prompts.length} prompts`).join(", ")}; ${maxTokens} tokens; T > 0 samples with top-k ${sampler.topK}, top-p ${sampler.topP}, min-p ${sampler.minP}`,
  );
  log(
    `a warm-up, then ${repetitions} repetitions, methods interleaved in a balanced order (each after every other equally often); medians, spread min–max over repetitions\n`,
  );
  const rows = await runBenchmark(model, {
    promptSets,
    trajectoryCounts,
    temperatures,
    sampler,
    maxTokens,
    repetitions,
    threads,
    stepWidths,
    log,
    spinner,
  });
  await spinner?.dispose();

  const nodeLlamaCppVersion = (JSON.parse(readFileSync(resolve("node_modules/node-llama-cpp/package.json"), "utf8")) as { version: string })
    .version;
  const result = {
    date: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim(),
    machine: {
      host: hostname(),
      cpu: cpus()[0]?.model,
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      load: loadavg(),
    },
    model: { path: values.model, bytes: model.size, trainContextSize: model.trainContextSize },
    backend: runtime.backend,
    devices: runtime.devices,
    ...(runtime.backend === "cuda" ? { cudaGraphs: runtime.cudaGraphs } : {}),
    threads,
    busyWait: spinner !== undefined,
    versions: { node: process.version, "node-llama-cpp": nodeLlamaCppVersion },
    settings: {
      maxTokens,
      repetitions,
      sampler,
      prompts: promptFiles.join(","),
      promptCount: prompts.reduce((sum, set) => sum + set.prompts.length, 0),
      stepWidths,
    },
    rows,
  };
  const out = values.out ?? `bench/results/${basename(values.model, ".gguf")}-${result.date.slice(0, 10)}.json`;
  writeFileAtomically(out, JSON.stringify(result, null, 2) + "\n");
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else {
    log(`written ${out}\n`);
    log(
      `STAND adaptive against the fastest other row (as \`npm run bench:report\` reads the file):\n\n${runTable({ ...result, name: out, model: basename(values.model) })}`,
    );
  }
  await model.dispose();
  await runtime.llama.dispose();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
