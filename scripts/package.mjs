// `npm run package`: a platform-specific .vsix that installs in desktop VS Code with no other step.
//
//   npm run package                          stand-vscode-<version>-linux-x64.vsix
//   npm run package -- --target darwin-arm64 another platform (its binaries come from the npm registry)
//   npm run package -- --cuda                linux-x64 / win32-x64 with the CUDA binaries too (large)
//   npm run package -- --out FILE --skip-checks --no-build --keep-staging
//
// The language server (dist/language-server.js) requires node-llama-cpp at run time, and
// node-llama-cpp loads llama.cpp from a prebuilt binary package, @node-llama-cpp/<platform>. So the
// package carries node-llama-cpp, every runtime dependency it has, and the binaries of ONE target:
//
//   vsce target    @node-llama-cpp packages
//   linux-x64      linux-x64 (CPU), linux-x64-vulkan; --cuda adds linux-x64-cuda + linux-x64-cuda-ext
//   linux-arm64    linux-arm64
//   linux-armhf    linux-armv7l
//   win32-x64      win-x64 (CPU), win-x64-vulkan; --cuda adds win-x64-cuda + win-x64-cuda-ext
//   win32-arm64    win-arm64
//   darwin-x64     mac-x64
//   darwin-arm64   mac-arm64-metal
//   (alpine-x64, alpine-arm64 and web have no llama.cpp binaries: musl and the browser are not supported.)
//
// CUDA is left out by default: linux-x64-cuda is 181 MB and its runtime libraries (-ext) 357 MB,
// against 29 MB for the CPU build and 81 MB for Vulkan, which also drives NVIDIA GPUs. With
// gpu "auto", node-llama-cpp takes the best backend the package has and falls back to the CPU.
//
// The server also requires esbuild (checks compile TypeScript candidates with it), which runs a
// native binary from @esbuild/<platform>: the package carries esbuild and the target's binary.
//
// How: vscode:prepublish (type check, lint, production build), then a staging folder that holds the
// files .vscodeignore lets through and a node_modules with exactly node-llama-cpp's dependency
// closure plus the target's binary packages (copied from node_modules, or for another platform
// fetched with `npm pack` into node_modules/.cache/stand-package). vsce packages that folder
// (its `npm list --production` sees only those), and the .vsix lands in the repository root.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { copyPackages, nodeLlamaCppClosure } from "./runtimeClosure.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

// packages: @node-llama-cpp/*; esbuild: the @esbuild/* binary that compiles TypeScript candidates for checks.
const BINARIES = {
  "linux-x64": { packages: ["linux-x64", "linux-x64-vulkan"], cuda: ["linux-x64-cuda", "linux-x64-cuda-ext"], esbuild: "linux-x64" },
  "linux-arm64": { packages: ["linux-arm64"], esbuild: "linux-arm64" },
  "linux-armhf": { packages: ["linux-armv7l"], esbuild: "linux-arm" },
  "win32-x64": { packages: ["win-x64", "win-x64-vulkan"], cuda: ["win-x64-cuda", "win-x64-cuda-ext"], esbuild: "win32-x64" },
  "win32-arm64": { packages: ["win-arm64"], esbuild: "win32-arm64" },
  "darwin-x64": { packages: ["mac-x64"], esbuild: "darwin-x64" },
  "darwin-arm64": { packages: ["mac-arm64-metal"], esbuild: "darwin-arm64" },
};

const HELP = `Usage: npm run package -- [options]
  --target T       ${Object.keys(BINARIES).join(" | ")} (default: linux-x64)
  --cuda           also the CUDA binaries (linux-x64, win32-x64; adds about 540 MB unpacked)
  --out FILE       where the .vsix goes (default: stand-vscode-<version>-<target>.vsix here)
  --skip-checks    skip the type check and lint of vscode:prepublish (still a production build)
  --no-build       package dist/ as it is (no checks, no build)
  --keep-staging   keep the staging folder and print where it is`;

function fail(message) {
  process.stderr.write(`package: ${message}\n`);
  process.exit(1);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      target: { type: "string", default: "linux-x64" },
      cuda: { type: "boolean", default: false },
      out: { type: "string" },
      "skip-checks": { type: "boolean", default: false },
      "no-build": { type: "boolean", default: false },
      "keep-staging": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  }));
} catch (error) {
  fail(`${error.message.split("\n")[0]} (see --help)`);
}
if (values.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
const target = values.target;
const binaries = BINARIES[target];
if (!binaries) fail(`no llama.cpp binaries for --target ${target}; one of ${Object.keys(BINARIES).join(", ")}`);
if (values.cuda && !binaries.cuda) fail(`--cuda is for linux-x64 and win32-x64, not ${target}`);
const binaryPackages = [...binaries.packages, ...(values.cuda ? binaries.cuda : [])].map((name) => `@node-llama-cpp/${name}`);

const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const out = resolve(process.env.INIT_CWD ?? process.cwd(), values.out ?? join(root, `${manifest.name}-${manifest.version}-${target}.vsix`));
const started = performance.now();

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: "inherit", shell: process.platform === "win32", ...options });
  if (result.status !== 0) fail(`${command} ${args.join(" ")} failed (${result.status ?? result.signal})`);
  return result;
}

// 1. Checks and the production build (what vsce would run as vscode:prepublish).
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
if (values["no-build"]) {
  if (!existsSync(join(root, "dist", "language-server.js"))) fail("dist/ is not built (drop --no-build)");
} else if (values["skip-checks"]) {
  run(process.execPath, [join(root, "scripts", "build.mjs"), "--production"], { cwd: root });
} else {
  run(npm, ["run", "vscode:prepublish"], { cwd: root });
}

// 2. The staging folder: the project files .vscodeignore lets through…
const staging = mkdtempSync(join(tmpdir(), "stand-vsix-"));
const ignoreRules = readFileSync(join(root, ".vscodeignore"), "utf8");
const topLevel = new Set(
  ignoreRules
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.startsWith("!"))
    .map((line) => line.slice(1).split("/")[0])
    .filter((name) => name && !name.includes("*") && name !== "node_modules" && name !== "package.json"),
);
for (const name of topLevel) {
  if (existsSync(join(root, name))) cpSync(join(root, name), join(staging, name), { recursive: true });
}
cpSync(join(root, ".vscodeignore"), join(staging, ".vscodeignore"));

// …node-llama-cpp's dependency closure, as it is laid out in node_modules…
const nodeModules = join(root, "node_modules");
const llamaVersion = JSON.parse(readFileSync(join(nodeModules, "node-llama-cpp", "package.json"), "utf8")).version;

function folderBytes(path) {
  const info = statSync(path);
  if (!info.isDirectory()) return info.size;
  return readdirSync(path).reduce((sum, name) => sum + folderBytes(join(path, name)), 0);
}

let closure;
try {
  closure = nodeLlamaCppClosure(root);
} catch (error) {
  fail(error.message);
}
let copiedBytes = copyPackages(root, closure, staging);

// …and the target's prebuilt binaries, from node_modules or else from the npm registry.
/** A binary package at `version`: copied from node_modules when installed there, else fetched with `npm pack`. */
function copyBinaryPackage(name, version) {
  const destination = join(staging, "node_modules", name);
  const installed = join(nodeModules, name);
  const installedVersion = existsSync(join(installed, "package.json"))
    ? JSON.parse(readFileSync(join(installed, "package.json"), "utf8")).version
    : undefined;
  if (installedVersion === version) return copyPackages(root, [installed], staging);
  const tarball = join(cache, `${name.slice(1).replace("/", "-")}-${version}.tgz`);
  if (!existsSync(tarball)) {
    mkdirSync(cache, { recursive: true });
    process.stderr.write(`fetching ${name}@${version} (npm pack)…\n`);
    run(npm, ["pack", `${name}@${version}`, "--pack-destination", cache, "--silent"], {
      cwd: cache,
      stdio: ["ignore", "ignore", "inherit"],
    });
  }
  mkdirSync(destination, { recursive: true });
  run("tar", ["-xzf", tarball, "-C", destination, "--strip-components=1"]);
  return folderBytes(destination);
}

const cache = join(nodeModules, ".cache", "stand-package");
for (const name of binaryPackages) copiedBytes += copyBinaryPackage(name, llamaVersion);

// …esbuild (checks compile TypeScript candidates with it) and its binary for the target; not the
// host's copy of that binary that npm puts in esbuild/bin, nor its install script.
const esbuildVersion = JSON.parse(readFileSync(join(nodeModules, "esbuild", "package.json"), "utf8")).version;
copiedBytes += copyPackages(root, [join(nodeModules, "esbuild")], staging, (path) => /^esbuild[\\/](bin|install\.js)/.test(path));
copiedBytes += copyBinaryPackage(`@esbuild/${binaries.esbuild}`, esbuildVersion);

// …with a manifest whose only dependencies are node-llama-cpp and esbuild (the rest is bundled in dist/), and no
// scripts: the build is done, and vsce must not run vscode:prepublish again in the staging folder.
const shipped = { ...manifest };
delete shipped.devDependencies;
delete shipped.scripts;
shipped.dependencies = { esbuild: manifest.dependencies.esbuild, "node-llama-cpp": manifest.dependencies["node-llama-cpp"] };
writeFileSync(join(staging, "package.json"), `${JSON.stringify(shipped, null, 2)}\n`);

// 3. vsce, in the staging folder.
const vsce = join(nodeModules, "@vscode", "vsce", "vsce");
mkdirSync(dirname(out), { recursive: true });
run(process.execPath, [vsce, "package", "--target", target, "--out", out, "--allow-missing-repository", "--no-rewrite-relative-links"], {
  cwd: staging,
});

const size = statSync(out).size;
const shown = relative(process.cwd(), out).startsWith("..") ? out : relative(process.cwd(), out);
if (values["keep-staging"]) process.stdout.write(`staging folder: ${staging}\n`);
else rmSync(staging, { recursive: true, force: true });
process.stdout.write(
  `\n${shown}: ${(size / 2 ** 20).toFixed(1)} MiB for ${target} ` +
    `(node_modules: node-llama-cpp ${llamaVersion}, ${closure.size - 1} runtime dependencies and ${binaryPackages.join(", ")}, ${(copiedBytes / 2 ** 20).toFixed(0)} MiB unpacked) ` +
    `in ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
);
process.stdout.write(`install: code --install-extension ${shown}\n`);
