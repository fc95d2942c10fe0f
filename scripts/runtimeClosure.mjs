// node-llama-cpp's runtime dependency closure, as npm laid it out in node_modules. Both the .vsix
// (scripts/package.mjs) and the offline GPU kit (scripts/gpu-kit.mjs) ship exactly this closure plus
// one platform's prebuilt binaries.
import { cpSync, existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";

/** Inside node_modules, what only building llama.cpp from source needs (we never build: build "never"). */
const BUILD_ONLY = [join("node-llama-cpp", "llama", "gitRelease.bundle")];
/** Files Node never loads: source maps and type declarations. */
const NOT_LOADED = /\.(map|d\.ts|d\.mts|d\.cts)$/;

/** The folder `name` resolves to from package folder `from`, as Node's resolution finds it. */
function findPackage(root, from, name) {
  for (let dir = from; ; dir = dirname(dir)) {
    if (!dir.endsWith(`${sep}node_modules`)) {
      const candidate = join(dir, "node_modules", name);
      if (existsSync(join(candidate, "package.json"))) return candidate;
    }
    if (dir === root || dirname(dir) === dir) return undefined;
  }
}

/**
 * The package folders node-llama-cpp needs at run time, itself included. Its optional
 * @node-llama-cpp/* binary packages are left out: the caller picks one platform's.
 */
export function nodeLlamaCppClosure(root) {
  const closure = new Set();
  const visit = (dir) => {
    if (closure.has(dir)) return;
    closure.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    for (const name of Object.keys(pkg.dependencies ?? {})) {
      const found = findPackage(root, dir, name);
      if (!found) throw new Error(`${relative(root, dir)} needs ${name}, which is not installed (run npm ci)`);
      visit(found);
    }
    for (const name of Object.keys(pkg.optionalDependencies ?? {})) {
      if (name.startsWith("@node-llama-cpp/")) continue;
      const found = findPackage(root, dir, name);
      if (found) visit(found);
    }
  };
  visit(join(root, "node_modules", "node-llama-cpp"));
  return closure;
}

/**
 * Copies package folders from `root` to the same relative paths under `destination`, without what
 * Node never loads; `skip` (a path relative to node_modules) leaves out more. Returns the bytes copied.
 */
export function copyPackages(root, dirs, destination, skip = () => false) {
  const nodeModules = join(root, "node_modules");
  let copiedBytes = 0;
  for (const dir of dirs) {
    cpSync(dir, join(destination, relative(root, dir)), {
      recursive: true,
      filter: (source) => {
        const inside = relative(dir, source);
        // Nested node_modules are copied as packages of their own, if the closure has them.
        if (inside.split(sep)[0] === "node_modules") return false;
        const fromNodeModules = relative(nodeModules, source);
        if (BUILD_ONLY.includes(fromNodeModules) || skip(fromNodeModules)) return false;
        const info = statSync(source);
        if (info.isFile() && NOT_LOADED.test(source)) return false;
        if (info.isFile()) copiedBytes += info.size;
        return true;
      },
    });
  }
  return copiedBytes;
}
