// `npm run package`: the .vsix for this machine's platform holds the bundles, the embedded model,
// node-llama-cpp with its runtime dependencies and this platform's binaries only, and the language
// server starts from the unpacked package alone and loads the model. (--no-build: scripts/test.mjs
// has built dist/; `npm run package` itself also type-checks, lints and builds for production.)
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { inflateRawSync } from "node:zlib";
import { RunChecksRequest, SolveRequest } from "../../common/protocol";
import { LanguageServer } from "../../cli/server";
import { defined } from "../support/defined";

const ROOT = join(__dirname, "..", "..");

/** This machine's vsce target and the @node-llama-cpp packages its .vsix must carry. */
const HOST_TARGETS: Record<string, { target: string; binaries: readonly [string, ...string[]] }> = {
  "linux-x64": { target: "linux-x64", binaries: ["linux-x64", "linux-x64-vulkan"] },
  "linux-arm64": { target: "linux-arm64", binaries: ["linux-arm64"] },
  "darwin-arm64": { target: "darwin-arm64", binaries: ["mac-arm64-metal"] },
  "darwin-x64": { target: "darwin-x64", binaries: ["mac-x64"] },
  "win32-x64": { target: "win32-x64", binaries: ["win-x64", "win-x64-vulkan"] },
  "win32-arm64": { target: "win32-arm64", binaries: ["win-arm64"] },
};
const host = HOST_TARGETS[`${process.platform}-${process.arch}`];

interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly offset: number;
  /** Unix permissions (an executable keeps its x bits), as VS Code applies them when it installs a .vsix. */
  readonly mode: number;
}

/** The entries of a zip file (no zip64: a .vsix is far below 4 GB), from its central directory. */
function zipEntries(zip: Buffer): ZipEntry[] {
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--;
  assert.ok(end >= 0, "not a zip file");
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, "a central directory entry");
    const nameLength = zip.readUInt16LE(at + 28);
    entries.push({
      name: zip.toString("utf8", at + 46, at + 46 + nameLength),
      method: zip.readUInt16LE(at + 10),
      compressedSize: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      offset: zip.readUInt32LE(at + 42),
      mode: (zip.readUInt32LE(at + 38) >>> 16) & 0o777,
    });
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return entries;
}

function zipContent(zip: Buffer, entry: ZipEntry): Buffer {
  const start = entry.offset + 30 + zip.readUInt16LE(entry.offset + 26) + zip.readUInt16LE(entry.offset + 28);
  const data = zip.subarray(start, start + entry.compressedSize);
  return entry.method === 0 ? data : inflateRawSync(data);
}

describe("npm run package", { skip: !host && `no llama.cpp binaries for ${process.platform}-${process.arch}` }, () => {
  const folder = mkdtempSync(join(tmpdir(), "stand-package-"));
  const vsix = join(folder, "stand.vsix");
  let zip: Buffer;
  let entries: ZipEntry[];
  after(() => {
    rmSync(folder, { recursive: true, force: true });
  });
  // Skipped above when there is no host; this tells the type checker.
  if (!host) return;
  const entry = (name: string): ZipEntry =>
    defined(
      entries.find((candidate) => candidate.name === name),
      name,
    );

  test("builds a platform-specific .vsix", () => {
    const result = spawnSync(process.execPath, ["scripts/package.mjs", "--no-build", "--target", host.target, "--out", vsix], {
      cwd: ROOT,
      encoding: "utf8",
    });
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    zip = readFileSync(vsix);
    entries = zipEntries(zip);
    assert.ok(zip.length < 120 * 2 ** 20, `the .vsix is ${(zip.length / 2 ** 20).toFixed(0)} MiB`);
    const manifest = zipContent(zip, entry("extension.vsixmanifest")).toString("utf8");
    assert.match(manifest, new RegExp(`TargetPlatform="${host.target}"`));
  });

  test("holds the bundles, the model and node-llama-cpp with its dependencies, and nothing from the sources", () => {
    const names = new Set(entries.map((entry) => entry.name));
    for (const name of [
      "extension/package.json",
      "extension/readme.md",
      "extension/dist/extension.js",
      "extension/dist/language-server.js",
      "extension/dist/webview/main.js",
      "extension/models/stand-code-mini.gguf",
      "extension/node_modules/node-llama-cpp/package.json",
      "extension/node_modules/node-llama-cpp/dist/index.js",
    ]) {
      assert.ok(names.has(name), `${name} is missing`);
    }
    const shipped = JSON.parse(zipContent(zip, entry("extension/package.json")).toString("utf8")) as {
      dependencies: Record<string, string>;
      devDependencies?: unknown;
      scripts?: unknown;
    };
    assert.deepEqual(Object.keys(shipped.dependencies), ["esbuild", "node-llama-cpp"]);
    assert.equal(shipped.devDependencies, undefined);
    assert.equal(shipped.scripts, undefined);
    // Every runtime dependency node-llama-cpp declares is in the package.
    const llama = JSON.parse(readFileSync(join(ROOT, "node_modules", "node-llama-cpp", "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    for (const dependency of Object.keys(llama.dependencies)) {
      assert.ok(
        names.has(`extension/node_modules/${dependency}/package.json`) ||
          names.has(`extension/node_modules/node-llama-cpp/node_modules/${dependency}/package.json`),
        `${dependency} is missing`,
      );
    }
    const sources = entries.filter((entry) =>
      /^extension\/(test|cli|common|bench|tools|scripts|language-server|extension|webview|src)\//.test(entry.name),
    );
    assert.deepEqual(
      sources.map((entry) => entry.name),
      [],
      "no source folders",
    );
    assert.deepEqual(
      entries.filter((entry) => entry.name.endsWith(".map")).map((entry) => entry.name),
      [],
      "no source maps",
    );
    assert.ok(!names.has("extension/node_modules/node-llama-cpp/llama/gitRelease.bundle"), "no llama.cpp source bundle");
    assert.deepEqual(
      entries.filter((entry) => entry.name.startsWith("extension/models/source/")).map((entry) => entry.name),
      [],
      "not the model's F16 source, only the Q8_0 file made from it",
    );
  });

  test(`carries only ${host.target} binaries`, () => {
    const binaryPackages = new Set(
      entries
        .map((entry) => /^extension\/node_modules\/@node-llama-cpp\/([^/]+)\//.exec(entry.name)?.[1])
        .filter((name): name is string => name !== undefined),
    );
    assert.deepEqual([...binaryPackages].sort(), [...host.binaries].sort());
    const esbuildBinaries = new Set(
      entries
        .map((entry) => /^extension\/node_modules\/@esbuild\/([^/]+)\//.exec(entry.name)?.[1])
        .filter((name): name is string => name !== undefined),
    );
    assert.deepEqual(
      [...esbuildBinaries],
      [`${process.platform}-${process.arch === "arm" ? "arm" : process.arch}`],
      "esbuild's binary for the target",
    );
    assert.ok(!entries.some((entry) => entry.name.startsWith("extension/node_modules/esbuild/bin/")), "not the host's second copy of it");
    const main = host.binaries[0];
    const addon = `extension/node_modules/@node-llama-cpp/${main}/bins/${main}/llama-addon.node`;
    assert.ok(
      entries.some((entry) => entry.name === addon),
      `${addon} is missing`,
    );
  });

  test("the unpacked package's language server loads the embedded model, solves, and checks TypeScript with its own esbuild", async () => {
    const unpacked = join(folder, "unpacked");
    for (const entry of entries) {
      if (entry.name.endsWith("/")) continue;
      const path = join(unpacked, entry.name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, zipContent(zip, entry), { mode: entry.mode || 0o644 });
    }
    // From a folder outside the repository: node-llama-cpp must come from the package.
    const server = await LanguageServer.start(join(unpacked, "extension", "dist", "language-server.js"), {
      settings: { trajectories: 2, maxTokens: 8, persistTable: false },
    });
    try {
      const status = await server.modelSettled();
      assert.equal(status.state, "ready", JSON.stringify(status.error));
      assert.equal(status.model?.path, join(unpacked, "extension", "models", "stand-code-mini.gguf"));
      const result = await server.request(SolveRequest, {
        problem: "function add(a, b) {\n",
        kind: "code",
        maxTokens: 8,
        trajectories: 2,
      });
      assert.equal(result.candidates.length, 2);
      const checked = await server.request(RunChecksRequest, {
        problem: "/**\n * @example\n * add(1, 2) // => 3\n */\nexport function add(a: number, b: number): number {\n",
        kind: "code",
        languageId: "typescript",
        candidates: [{ trajectory: 0, code: "  const sum: number = a + b;\n  return sum;\n}" }],
      });
      assert.equal(checked.candidates[0]?.status, "passed", JSON.stringify(checked.candidates[0]));
    } finally {
      await server.stop();
    }
  });
});
