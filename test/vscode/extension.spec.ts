// Integration tests inside a real extension host: the extension as VS Code loads it, its commands
// run through VS Code's command service, and the language server with the embedded model behind them.
// The settings (three candidates, short answers) are the user settings scripts/test-vscode.mjs writes.
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { after, before, describe, it } from "mocha";
import * as vscode from "vscode";
import type { RunChecksResult, SolveResult } from "../../common/protocol";
import { defined } from "../support/defined";

const EXTENSION_ID = "stand-dev.stand-vscode";

describe("STAND in VS Code", () => {
  let extension: vscode.Extension<unknown>;
  let editor: vscode.TextEditor;

  before(async () => {
    extension = defined(vscode.extensions.getExtension(EXTENSION_ID), `the extension ${EXTENSION_ID}`);
    await extension.activate();
    const document = await vscode.workspace.openTextDocument({
      language: "typescript",
      content:
        "/** Returns the largest number in `values`, or undefined when it is empty. */\nexport function largest(values: number[]): number | undefined {\n",
    });
    editor = await vscode.window.showTextDocument(document);
  });

  after(() => vscode.commands.executeCommand("workbench.action.closeAllEditors"));

  it("activates", () => {
    assert.equal(extension.isActive, true);
  });

  it("registers every command the manifest contributes", async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    const contributed = (extension.packageJSON as { contributes: { commands: { command: string }[] } }).contributes.commands.map(
      (entry) => entry.command,
    );
    assert.deepEqual(
      contributed.filter((command) => !registered.has(command)),
      [],
    );
  });

  it("Toggle Inline Completions flips stand.inline.enabled in the user settings", async () => {
    const enabled = () => vscode.workspace.getConfiguration("stand").get<boolean>("inline.enabled");
    assert.equal(enabled(), true);
    await vscode.commands.executeCommand("stand.toggleInlineCompletions");
    assert.equal(enabled(), false);
    await vscode.commands.executeCommand("stand.toggleInlineCompletions");
    assert.equal(enabled(), true);
  });

  it("Solve Selection resolves with one finished candidate per trajectory", async () => {
    const document = editor.document;
    editor.selection = new vscode.Selection(new vscode.Position(0, 0), document.positionAt(document.getText().length));
    const trajectories = defined(vscode.workspace.getConfiguration("stand").get<number>("trajectories"), "stand.trajectories");
    const result = await vscode.commands.executeCommand<SolveResult | undefined>("stand.solveSelection");
    assert.ok(result, "stand.solveSelection resolves with the solve's result once it finishes");
    assert.equal(result.candidates.length, trajectories);
    for (const candidate of result.candidates) assert.ok(candidate.text.length > 0 && candidate.finishReason, JSON.stringify(candidate));
  });

  it("Apply Candidate puts the chosen candidate in at the cursor", async () => {
    const before = editor.document.getText();
    editor.selection = new vscode.Selection(editor.document.positionAt(before.length), editor.document.positionAt(before.length));
    // Until the solve above has finished the command only says there are no candidates yet; then it
    // asks two quick picks, which candidate and how: accept the first item of each as they open.
    const deadline = Date.now() + 60_000;
    while (editor.document.getText() === before && Date.now() < deadline) {
      const applying = Promise.resolve(vscode.commands.executeCommand("stand.applyCandidate"));
      const settled = applying.then(
        () => true,
        () => true,
      );
      while (!(await Promise.race([settled, delay(100, false)]))) {
        await vscode.commands.executeCommand("workbench.action.acceptSelectedQuickOpenItem");
      }
      await applying;
    }
    const after = editor.document.getText();
    assert.ok(after.startsWith(before) && after.length > before.length, `the candidate was appended:\n${after}`);
  });

  it("Run Checks runs every candidate against the problem's @example lines; Apply Best puts in the best-ranked one", async () => {
    const problem = [
      "/**",
      " * Checks whether `value` is a string.",
      " *",
      " * @example",
      " *",
      ' * isString("abc");',
      " * // => true",
      " *",
      " * isString(1);",
      " * // => false",
      " */",
      "function isString(value) {",
      "",
    ].join("\n");
    const document = await vscode.workspace.openTextDocument({ language: "javascript", content: problem });
    const isStringEditor = await vscode.window.showTextDocument(document);
    isStringEditor.selection = new vscode.Selection(new vscode.Position(0, 0), document.positionAt(problem.length));
    const solved = await vscode.commands.executeCommand<SolveResult | undefined>("stand.solveSelection");
    assert.ok(solved, "the solve finished");

    const checks = await vscode.commands.executeCommand<RunChecksResult | undefined>("stand.runChecks");
    assert.ok(checks, "stand.runChecks resolves with the result");
    assert.equal(checks.checks.length, 2, JSON.stringify(checks.checks));
    assert.deepEqual(
      checks.candidates.map((candidate) => candidate.trajectory).sort(),
      solved.candidates.map((candidate) => candidate.trajectory).sort(),
    );
    for (const candidate of checks.candidates) assert.equal(candidate.total, 2, JSON.stringify(candidate));
    const best = defined(checks.ranking[0], "the best-ranked candidate");
    const bestResult = defined(
      checks.candidates.find((candidate) => candidate.trajectory === best),
      "the best candidate's result",
    );
    const passing = checks.candidates.filter((candidate) => candidate.status === "passed");
    assert.deepEqual(checks.ranking.slice(0, passing.length).sort(), passing.map((candidate) => candidate.trajectory).sort());

    // With a passing candidate Apply Best replaces the selection with it; with none it asks first
    // (a notification with "Apply Anyway"), and dismissing that leaves the document alone.
    const applying = Promise.resolve(vscode.commands.executeCommand("stand.applyBest"));
    if (bestResult.status !== "passed") {
      await delay(500);
      await vscode.commands.executeCommand("notifications.clearAll");
    }
    await applying;
    const bestCode = defined(
      solved.candidates.find((candidate) => candidate.trajectory === best),
      "the best candidate",
    ).codeBlocks[0]?.code;
    assert.equal(document.getText(), bestResult.status === "passed" ? problem + (bestCode ?? "") : problem);
  });
});
