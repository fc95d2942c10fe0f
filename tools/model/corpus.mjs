#!/usr/bin/env node
// Builds the TypeScript/JavaScript training corpus for the embedded code model.
//
// Packages listed in tools/model/corpus-packages.txt are fetched with `npm pack`
// (build time only, never at test time) into tools/model/.work/packs, unpacked,
// filtered to permissive licences (read from each package's own package.json),
// and their source files are deduplicated by content hash and split into
// train/validation by file.
//
// Output (all under tools/model/.work/, gitignored):
//   corpus/train.jsonl, corpus/val.jsonl   one {"pkg","path","text"} per line
//   corpus/packages.json                   name, version, licence, files, bytes
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const work = path.join(here, ".work");
const packs = path.join(work, "packs");
const out = path.join(work, "corpus");
fs.mkdirSync(packs, { recursive: true });
fs.mkdirSync(out, { recursive: true });

const PERMISSIVE = new Set(["MIT", "APACHE-2.0", "BSD-2-CLAUSE", "BSD-3-CLAUSE", "ISC", "0BSD", "BSD"]);
const EXT = /\.(d\.ts|d\.mts|d\.cts|ts|tsx|mts|cts|js|mjs|cjs|jsx)$/;
const SKIP_DIR =
  /(^|\/)(node_modules|cjs|_cjs|umd|esm5|_esm5|es5|amd|system|bundles|min|\.bin|test|tests|__tests__|fixtures|locale|locales|i18n)\//;
const MAX_FILE = 400_000; // bytes
const MAX_PKG = 3_000_000; // bytes of text kept per package
const VAL_PERCENT = 2;

function licenceOk(lic) {
  if (!lic) return false;
  if (typeof lic === "object") lic = lic.type;
  if (typeof lic !== "string") return false;
  const s = lic.replace(/[()]/g, " ").trim();
  if (/\bAND\b/i.test(s)) return s.split(/\s+AND\s+/i).every((p) => licenceOk(p.trim()));
  return s.split(/\s+OR\s+/i).some((p) => PERMISSIVE.has(p.trim().toUpperCase()));
}

function licenceName(lic) {
  if (!lic) return "UNKNOWN";
  if (typeof lic === "object") return String(lic.type);
  return lic;
}

const specs = fs
  .readFileSync(path.join(here, "corpus-packages.txt"), "utf8")
  .split("\n")
  .map((l) => l.replace(/#.*/, "").trim())
  .filter(Boolean);

// Fetch the tarballs (one npm call per chunk; npm caches them).
const packed = [];
for (let i = 0; i < specs.length; i += 20) {
  const chunk = specs.slice(i, i + 20);
  const json = execFileSync("npm", ["pack", ...chunk, "--json", "--pack-destination", packs], {
    encoding: "utf8",
    maxBuffer: 1 << 30,
    stdio: ["ignore", "pipe", "inherit"],
  });
  for (const e of JSON.parse(json)) packed.push({ name: e.name, version: e.version, filename: e.filename });
}

function walk(dir, base = dir, acc = []) {
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) walk(p, base, acc);
    else if (ent.isFile()) acc.push(path.relative(base, p).split(path.sep).join("/"));
  }
  return acc;
}

function looksMinified(text) {
  const lines = text.split("\n");
  let long = 0;
  for (const l of lines) if (l.length > 400) long++;
  return long > 2 || text.length / lines.length > 120;
}

const seen = new Set();
const pkgs = [];
const train = fs.openSync(path.join(out, "train.jsonl"), "w");
const val = fs.openSync(path.join(out, "val.jsonl"), "w");
let totalBytes = 0;
let dupes = 0;
for (const p of packed) {
  const dir = path.join(packs, p.filename.replace(/\.tgz$/, ""));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  execFileSync("tar", ["xzf", path.join(packs, p.filename), "-C", dir]);
  const top = fs.readdirSync(dir); // usually "package"; @types/* tarballs use the package's own name
  const root = path.join(dir, top.length === 1 ? top[0] : "package");
  const meta = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  const lic = licenceName(meta.license ?? meta.licenses?.[0]);
  const rec = {
    name: meta.name,
    version: meta.version,
    license: lic,
    kept: licenceOk(meta.license ?? meta.licenses?.[0]),
    files: 0,
    bytes: 0,
  };
  pkgs.push(rec);
  if (!rec.kept) continue;
  const files = walk(root)
    .filter((f) => EXT.test(f) && !SKIP_DIR.test(f) && !/\.min\.|\.bundle\.|\.map$/.test(f))
    .sort();
  const set = new Set(files);
  for (const f of files) {
    // Prefer one module flavour: drop .cjs / .d.cts / .d.mts copies when an ESM/.d.ts sibling exists.
    if (f.endsWith(".cjs") && set.has(f.replace(/\.cjs$/, ".js"))) continue;
    if (f.endsWith(".d.cts") && set.has(f.replace(/\.d\.cts$/, ".d.ts"))) continue;
    if (f.endsWith(".d.mts") && set.has(f.replace(/\.d\.mts$/, ".d.ts"))) continue;
    if (f.endsWith(".mjs") && set.has(f.replace(/\.mjs$/, ".js"))) continue;
    let text = fs.readFileSync(path.join(root, f), "utf8");
    if (text.length > MAX_FILE || text.length < 64) continue;
    if (text.includes("\u0000") || text.includes("\uFFFD")) continue;
    if (looksMinified(text)) continue;
    text = text.replace(/\r\n/g, "\n");
    const h = createHash("sha256").update(text.replace(/\s+/g, "")).digest("hex");
    if (seen.has(h)) {
      dupes++;
      continue;
    }
    if (rec.bytes + text.length > MAX_PKG) continue;
    seen.add(h);
    rec.files++;
    rec.bytes += text.length;
    totalBytes += text.length;
    const isVal = parseInt(h.slice(0, 8), 16) % 100 < VAL_PERCENT;
    fs.writeSync(isVal ? val : train, JSON.stringify({ pkg: `${meta.name}@${meta.version}`, path: f, text }) + "\n");
  }
}
fs.closeSync(train);
fs.closeSync(val);
fs.writeFileSync(path.join(out, "packages.json"), JSON.stringify(pkgs, null, 2));
const kept = pkgs.filter((p) => p.kept);
console.log(
  `corpus: ${kept.length}/${pkgs.length} packages kept, ${kept.reduce((a, p) => a + p.files, 0)} files, ` +
    `${(totalBytes / 1e6).toFixed(1)} MB, ${dupes} duplicates dropped`,
);
for (const p of pkgs.filter((p) => !p.kept)) console.log(`  skipped (licence ${p.license}): ${p.name}@${p.version}`);
