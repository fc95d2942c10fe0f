// The test runner VS Code loads into the extension host (--extensionTestsPath, or the
// `extensionTestsPath` of a code-server window): mocha over the bundled *.spec.js beside it.
// The files are *.spec.ts, not *.test.ts, so that `npm test` (Node's runner, no VS Code) leaves them alone.
// When STAND_VSCODE_TEST_REPORT names a file, the results also go there as JSON: under code-server the
// extension host's console is not the terminal's, so scripts/test-vscode.mjs reads them from it.
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Mocha from "mocha";
import * as vscode from "vscode";

export interface TestReport {
  readonly passed: string[];
  readonly failed: { readonly title: string; readonly error: string }[];
  readonly vscodeVersion: string;
}

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: "bdd", timeout: 120_000, color: !process.env.STAND_VSCODE_TEST_REPORT });
  for (const file of readdirSync(__dirname)
    .filter((name) => name.endsWith(".spec.js"))
    .sort())
    mocha.addFile(join(__dirname, file));
  const report: TestReport = { passed: [], failed: [], vscodeVersion: vscode.version };
  const failures = await new Promise<number>((resolve) => {
    const runner = mocha.run(resolve);
    runner.on("pass", (test) => report.passed.push(test.fullTitle()));
    runner.on("fail", (test, error: Error) => report.failed.push({ title: test.fullTitle(), error: error.stack ?? String(error) }));
  });
  if (process.env.STAND_VSCODE_TEST_REPORT) writeFileSync(process.env.STAND_VSCODE_TEST_REPORT, JSON.stringify(report, null, 2));
  if (failures > 0) throw new Error(`${failures} of ${report.passed.length + failures} VS Code integration test(s) failed`);
}
