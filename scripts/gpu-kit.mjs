// `npm run gpu-kit`: a folder that runs `npm run bench` on a Linux x64 machine with an NVIDIA GPU,
// no network and no Node (a rented GPU box, a cluster node, a locked-down server).
//
//   npm run gpu-kit -- [--out DIR] [--no-node] [--cpu] [--fast]   here (default DIR: .gpu-kit, git-ignored)
//   DIR/run.sh RESULTS_DIR                                        there, after copying DIR over: the proof
//   DIR/run.sh RESULTS_DIR [npm run bench flags…]                 or one benchmark
//   DIR/run.sh RESULTS_DIR --profile [npm run bench:profile flags…] or where a step's time goes
//
// node-llama-cpp's prebuilt CUDA backend only runs under a driver at least as new as the CUDA
// toolkit it was built with. The kit lifts that without building node-llama-cpp: run.sh rebuilds
// the one library that holds the GPU code, libggml-cuda.so (llama.cpp loads its backends as
// plugins), with the machine's own nvcc for the machine's own GPU, and drops it into the prebuilt
// linux-x64-cuda binaries. It needs nvcc, CMake and a C++ compiler there (ninja if present).
//
// The kit holds: node.xz (this Node binary, unless --no-node), app.tar.xz (the benchmark, the
// step profile (bench/stepProfile.ts) and the cost-twin writer (tools/twin) bundled into one file
// each, node-llama-cpp's runtime closure, the linux-x64-cuda binaries less the CUDA backend, the
// embedded model and the prompt set),
// llama.cpp.tar.xz (the llama.cpp sources node-llama-cpp ships, cut to what the CUDA backend's
// build reads) and run.sh. The proof run.sh runs without flags writes the twins on the GPU
// machine: a 13 GB 7b twin never travels. --cpu adds the linux-x64 CPU binaries, so that run.sh
// can prove the kit on a machine without a GPU (STAND_GPU_KIT_CPU=1); --fast compresses quickly
// (a larger kit; for tests).
import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import * as esbuild from "esbuild";
import { NODE_BUNDLE } from "./nodeBundle.mjs";
import { copyPackages, nodeLlamaCppClosure } from "./runtimeClosure.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    out: { type: "string", default: join(root, ".gpu-kit") },
    "no-node": { type: "boolean", default: false },
    cpu: { type: "boolean", default: false },
    fast: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  process.stdout.write(
    "Usage: npm run gpu-kit -- [--out DIR] [--no-node] [--cpu] [--fast]\n" +
      "Then, on the GPU machine: DIR/run.sh RESULTS_DIR (the proof: twins and benchmarks) or DIR/run.sh RESULTS_DIR [npm run bench flags…]\n",
  );
  process.exit(0);
}

/** Paths of llama.cpp that configuring it and building ggml-cuda read; the rest (docs, models, tools) stays behind. */
const LLAMA_CPP_KEPT = ["CMakeLists.txt", "LICENSE", "cmake", "ggml", "include", "src", "vendor"];
/** Folders of ggml backends the kit never builds (ggml/src/ggml-vulkan, ggml-metal, …). */
const OTHER_BACKENDS = /^ggml-(?!cuda$|cpu$)/;

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: ["ignore", "inherit", "inherit"], ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.status ?? result.signal})`);
}

const kit = resolve(values.out);
const xz = { ...process.env, XZ_OPT: values.fast ? "-T0 -0" : "-T0" };
rmSync(kit, { recursive: true, force: true });
mkdirSync(kit, { recursive: true });
const staging = mkdtempSync(join(tmpdir(), "stand-gpu-kit-"));
try {
  // The app: node-llama-cpp and its closure, the CUDA binaries without the backend run.sh rebuilds…
  const app = join(staging, "app");
  copyPackages(root, nodeLlamaCppClosure(root), app);
  const cudaBinaries = join(root, "node_modules", "@node-llama-cpp", "linux-x64-cuda");
  copyPackages(root, [cudaBinaries], app, (path) => path.endsWith("libggml-cuda.so"));
  if (values.cpu) copyPackages(root, [join(root, "node_modules", "@node-llama-cpp", "linux-x64")], app);
  // …the benchmark and the twin writer, each in one file…
  for (const [entry, bundle] of [
    [join(root, "bench", "model.ts"), "bench.cjs"],
    [join(root, "tools", "twin", "cli.ts"), "twin.cjs"],
    [join(root, "bench", "stepProfile.ts"), "profile.cjs"],
  ]) {
    await esbuild.build({ ...NODE_BUNDLE, entryPoints: [entry], outfile: join(app, bundle), logLevel: "warning" });
  }
  // …and what it reads by default.
  // The embedded model and its F16 source (what the twins are made of).
  cpSync(join(root, "models"), join(app, "models"), { recursive: true });
  mkdirSync(join(app, "bench"));
  for (const prompts of ["prompts.jsonl", "prompts-unseen.jsonl"]) copyFileSync(join(root, "bench", prompts), join(app, "bench", prompts));
  run("tar", ["-cJf", join(kit, "app.tar.xz"), "-C", staging, "app"], { env: xz });

  // llama.cpp at the exact commit node-llama-cpp's binaries were built from: its git bundle.
  const sources = join(staging, "llama.cpp");
  run("git", ["clone", "--quiet", join(root, "node_modules", "node-llama-cpp", "llama", "gitRelease.bundle"), join(staging, "clone")], {
    stdio: "ignore",
  });
  const clone = join(staging, "clone");
  const backends = join(clone, "ggml", "src");
  for (const name of LLAMA_CPP_KEPT) {
    cpSync(join(clone, name), join(sources, name), {
      recursive: true,
      filter: (source) => dirname(source) !== backends || !OTHER_BACKENDS.test(basename(source)) || !statSync(source).isDirectory(),
    });
  }
  run("tar", ["-cJf", join(kit, "llama.cpp.tar.xz"), "-C", staging, "llama.cpp"], { env: xz });

  if (!values["no-node"]) {
    run("sh", ["-c", 'xz -c "$0" > "$1"', process.execPath, join(kit, "node.xz")], { env: xz });
  }
  copyFileSync(join(root, "scripts", "gpu-kit-run.sh"), join(kit, "run.sh"));
  run("chmod", ["+x", join(kit, "run.sh")]);
} finally {
  rmSync(staging, { recursive: true, force: true });
}

const llamaVersion = JSON.parse(readFileSync(join(root, "node_modules", "node-llama-cpp", "package.json"), "utf8")).version;
const sizes = ["node.xz", "app.tar.xz", "llama.cpp.tar.xz"]
  .filter((name) => name !== "node.xz" || !values["no-node"])
  .map((name) => `${name} ${(statSync(join(kit, name)).size / 2 ** 20).toFixed(1)} MiB`);
process.stdout.write(
  `${kit}: node-llama-cpp ${llamaVersion}, Node ${values["no-node"] ? "not included" : process.version}; ${sizes.join(", ")}\n`,
);
process.stdout.write(`on the GPU machine: ${kit}/run.sh RESULTS_DIR (the proof) or ${kit}/run.sh RESULTS_DIR [npm run bench flags…]\n`);
