// "Every command in the README is run by a test or by CI, so the README cannot rot." This test reads
// README.md and the documents in docs/ (the benchmark history), finds every npm command they
// mention (in code blocks, tables and prose alike) and checks that package.json has the script and
// that .ci/run runs the command or a test runs it.
// A test that runs one is listed in COVERED_BY_TESTS below with the text in it that proves so;
// CI runs every test (`npm test`, then test:models and test:slow).
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { defined } from "../support/defined";

const ROOT = join(__dirname, "..", "..");

/**
 * The test that runs each README command .ci/run does not run itself, and text in that test that
 * proves it: the file the command's package.json script runs, or the call of
 * test/cli/scripts.test.ts or test/slow/benchmarkScripts.test.ts that runs the script by name. List only a test that really runs it.
 */
const COVERED_BY_TESTS: Readonly<Record<string, { readonly file: string; readonly evidence: string }>> = {
  "npm start": { file: "test/cli/start.test.ts", evidence: "scripts/start.mjs" },
  "npm run package": { file: "test/slow/package.test.ts", evidence: "scripts/package.mjs" },
  // Skipped without code-server and chromium, except under STAND_TEST_STRICT=1, as in CI.
  "npm run editor": { file: "test/e2e/editor.test.ts", evidence: "scripts/editor.mjs" },
  "npm run bench": { file: "test/slow/benchmarkScripts.test.ts", evidence: 'runScript(t, "bench",' },
  "npm run gpu-kit": { file: "test/slow/benchmarkScripts.test.ts", evidence: 'runScript(t, "gpu-kit",' },
  "npm run bench:engine": { file: "test/slow/benchmarkScripts.test.ts", evidence: 'runScript(t, "bench:engine",' },
  "npm run bench:cost": { file: "test/slow/benchmarkScripts.test.ts", evidence: 'runScript(t, "bench:cost",' },
  "npm run bench:busy-wait": { file: "test/slow/benchmarkScripts.test.ts", evidence: 'runScript(t, "bench:busy-wait",' },
  "npm run bench:budget": { file: "test/slow/benchmarkScripts.test.ts", evidence: 'runScript(t, "bench:budget",' },
  "npm run bench:table": { file: "test/slow/benchmarkScripts.test.ts", evidence: 'runScript(t, "bench:table")' },
  "npm run bench:profile": { file: "test/slow/benchmarkScripts.test.ts", evidence: 'runScript(t, "bench:profile",' },
  "npm run bench:report": { file: "test/cli/scripts.test.ts", evidence: 'runScript(t, "bench:report",' },
  "npm run bench:layout": { file: "test/slow/benchmarkScripts.test.ts", evidence: 'runScript(t, "bench:layout",' },
  "npm run bench:latency": { file: "test/slow/benchmarkScripts.test.ts", evidence: 'runScript(t, "bench:latency",' },
  "npm run bench:healing": { file: "test/slow/benchmarkScripts.test.ts", evidence: 'runScript(t, "bench:healing",' },
  "npm run bench:checks": { file: "test/slow/benchmarkScripts.test.ts", evidence: 'runScript(t, "bench:checks",' },
  "npm run tree:optimise": { file: "test/slow/benchmarkScripts.test.ts", evidence: 'runScript(t, "tree:optimise",' },
  "npm run model:check": { file: "test/cli/scripts.test.ts", evidence: 'runScript(t, "model:check",' },
  "npm run model:twin": { file: "test/slow/benchmarkScripts.test.ts", evidence: 'runScript(t, "model:twin",' },
  "npm run build": { file: "test/cli/scripts.test.ts", evidence: 'runScript(t, "build",' },
  "npm run watch": { file: "test/cli/scripts.test.ts", evidence: 'scriptArguments("watch")' },
};

/** `npm ci`, `npm start`, `npm test` and `npm run <script>` (flags after `--` are not part of it). */
const NPM_COMMAND = /\bnpm (ci|start|test|run [\w:-]*\w)(?!\w)/g;

/** The npm commands a text mentions, each once, in order of first mention. */
export function npmCommands(text: string): string[] {
  return [...new Set([...text.matchAll(NPM_COMMAND)].map((match) => `npm ${match[1]}`))];
}

/** The package.json script a command runs; `npm ci` runs none. */
function scriptName(command: string): string | undefined {
  if (command === "npm ci") return undefined;
  return command.replace(/^npm (run )?/, "");
}

const read = (path: string): string => readFileSync(join(ROOT, path), "utf8");
const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;
/** The commands .ci/run runs: its lines without comments. */
const ciCommands = new Set(
  npmCommands(
    read(".ci/run")
      .split("\n")
      .map((line) => line.replace(/(^|\s)#.*$/, ""))
      .join("\n"),
  ),
);

describe("every npm command in the README and docs/ is run by CI or by a test", () => {
  test("the extraction: code blocks, tables, prose and flags; not other words after npm", () => {
    const fixture = [
      "```sh",
      "npm ci          # install",
      "npm start       # the main job",
      "npm run bench -- --trajectories 4 --model ~/models/x.gguf",
      "```",
      "| `npm run bench:engine` | the engine alone |",
      "Also: `npm run tree:optimise` (calibrates), `npm start -- --help`, `npm run package -- --target darwin-arm64`.",
      "Development: `npm run build`, `npm run watch`,",
      "`npm test` and npm test again; run npm run test:vscode.",
      "Not commands: the npm registry, npm install's cache, pnpm run x, npm testing, npm run",
    ].join("\n");
    assert.deepEqual(npmCommands(fixture), [
      "npm ci",
      "npm start",
      "npm run bench",
      "npm run bench:engine",
      "npm run tree:optimise",
      "npm run package",
      "npm run build",
      "npm run watch",
      "npm test",
      "npm run test:vscode",
    ]);
    assert.deepEqual(
      npmCommands("see `npm run build`: it builds; `npm run lint`."),
      ["npm run build", "npm run lint"],
      "trailing punctuation is not part of the name",
    );
  });

  test("CI runs the suite of every test listed below (npm test, and npm run test:slow for test/slow/)", () => {
    assert.ok(ciCommands.has("npm test"), `.ci/run runs ${[...ciCommands].join(", ")}`);
    for (const { file } of Object.values(COVERED_BY_TESTS)) {
      if (file.startsWith("test/slow/"))
        assert.ok(ciCommands.has("npm run test:slow"), `${file} runs in npm run test:slow, which .ci/run does not run`);
    }
  });

  const readme = read("README.md");
  /** The README and the Markdown documents in docs/: a command there is one a reader runs too. */
  const documents = [
    "README.md",
    ...readdirSync(join(ROOT, "docs"))
      .filter((name) => name.endsWith(".md"))
      .map((name) => `docs/${name}`),
  ];
  const commands = npmCommands(documents.map(read).join("\n"));

  test("README.md mentions the quick start: npm ci, npm start, npm test", () => {
    const quickStart = npmCommands(readme);
    for (const command of ["npm ci", "npm start", "npm test"]) assert.ok(quickStart.includes(command), `README.md never says ${command}`);
  });

  for (const command of commands) {
    test(`${command}: the script exists and CI or a test runs it`, () => {
      const name = scriptName(command);
      if (name === undefined) assert.ok(existsSync(join(ROOT, "package-lock.json")), "npm ci needs package-lock.json");
      else assert.ok(scripts[name], `The README or docs/ mention \`${command}\`, but package.json has no "${name}" script`);

      if (ciCommands.has(command)) return;
      const coverage = COVERED_BY_TESTS[command];
      assert.ok(
        coverage,
        `The README or docs/ mention \`${command}\`, but neither .ci/run nor any test runs it. Add coverage: run it in .ci/run, or ` +
          `write a test that runs it and add that test to COVERED_BY_TESTS in test/cli/readmeCommands.test.ts; or take it out of the document.`,
      );
    });
  }

  for (const [command, { file, evidence }] of Object.entries(COVERED_BY_TESTS)) {
    test(`COVERED_BY_TESTS: ${file} runs ${command}`, () => {
      assert.ok(existsSync(join(ROOT, file)), `${file} does not exist; update COVERED_BY_TESTS`);
      assert.ok(
        read(file).includes(evidence),
        `${file} does not contain ${evidence}, so it does not run ${command}; update COVERED_BY_TESTS`,
      );
      const name = defined(scriptName(command), `the script ${command} runs`);
      assert.ok(scripts[name], `package.json has no "${name}" script`);
      // The evidence ties the test to the script: the file the script runs, or the script's name.
      assert.ok(
        scripts[name].includes(evidence) || evidence.includes(JSON.stringify(name)),
        `${evidence} is neither in package.json's "${name}" script (${scripts[name]}) nor names it`,
      );
    });
  }
});
