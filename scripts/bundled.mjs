// `node scripts/bundled.mjs ENTRY.ts [args…]`: runs a TypeScript entry point as the product runs
// its code, bundled by esbuild into one file (NODE_BUNDLE), not through tsx. The benchmarks time
// our decoding loop against node-llama-cpp's own, step by step, and under tsx every call across
// our modules goes through an export getter and every named function through a name wrapper: a
// few microseconds per step that the shipped language server does not pay (on a model whose step
// takes 0.6 ms, a per cent of the comparison). The bundle goes to .cache/bundled/ (written whole,
// then renamed into place) with an inline source map, so stack traces still name the sources.
import { spawnSync } from "node:child_process";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { NODE_BUNDLE } from "./nodeBundle.mjs";

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  process.stderr.write("usage: node scripts/bundled.mjs ENTRY.ts [args…]\n");
  process.exit(2);
}
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const folder = join(root, ".cache", "bundled");
mkdirSync(folder, { recursive: true });
const outfile = join(folder, `${basename(entry).replace(/\.[cm]?ts$/, "")}.cjs`);
const { outputFiles } = await esbuild.build({
  ...NODE_BUNDLE,
  entryPoints: [resolve(entry)],
  outfile,
  sourcemap: "inline",
  sourcesContent: false,
  write: false,
  logLevel: "warning",
});
const [bundle] = outputFiles;
if (!bundle) throw new Error(`esbuild wrote nothing for ${entry}`);
// A name of its own per process, so that two runs at once never rename each other's half-written file.
const partial = `${outfile}.${process.pid}.partial`;
writeFileSync(partial, bundle.contents);
renameSync(partial, outfile);
const child = spawnSync(process.execPath, ["--enable-source-maps", outfile, ...args], { stdio: "inherit" });
if (child.error) throw child.error;
process.exit(child.status ?? 1);
