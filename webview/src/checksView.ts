// The panel's checks: the box where the user types checks for this problem, the Run checks and
// Apply best buttons, a line on how the run went, and what each card shows of its own result
// (a status badge, the best mark, the first check it did not pass with the expected and actual
// values). Check results come from the extension (stand/runChecks); nothing runs in the webview.
import type { SolveState } from "../../common/panel";
import { bestCandidate, checkResultOf, type ChecksAvailability, type ChecksState } from "../../common/panelChecks";
import type { CandidateCheckResult, CandidateCheckStatus, Check, CheckResult } from "../../common/protocol";
import { h, setAttribute, setText } from "./dom";
import { plural } from "./format";
import { isTextEditingShortcut } from "./textEditingKeys";

/** The checks box's element id: main.ts folds what is typed there into the state. */
export const CHECKS_INPUT_ID = "checks-input";

const PLACEHOLDER =
  "One check per line: a call and the value it should give (add(1, 2) // => 3; in Python, # => 3), or an expression that must hold";

export class ChecksView {
  readonly element: HTMLElement;
  private readonly input: HTMLElement & { value: string };
  private readonly runButton: HTMLElement;
  private readonly bestButton: HTMLElement;
  private readonly summary: HTMLElement;
  private problem?: string;

  constructor() {
    this.input = h("vscode-textarea", {
      id: CHECKS_INPUT_ID,
      class: "checks-input",
      rows: 2,
      resize: "vertical",
      monospace: true,
      placeholder: PLACEHOLDER,
      "aria-describedby": "checks-summary",
      label: "Checks",
    });
    // Kept from VS Code, which would run them in the editor (see textEditingKeys.ts); the box's
    // own Select All, Undo and Redo apply instead.
    this.input.addEventListener("keydown", (event) => {
      if (isTextEditingShortcut(event)) event.stopPropagation();
    });
    this.runButton = h("vscode-button", { "data-action": "runChecks", icon: "beaker" }, "Run checks");
    this.bestButton = h("vscode-button", { "data-action": "applyBest", icon: "check-all", secondary: true }, "Apply best");
    // Not a live region: the header's one live region announces the run (checksAnnouncement).
    this.summary = h("p", { id: "checks-summary", class: "checks-summary" });
    this.element = h(
      "section",
      { class: "checks", "aria-labelledby": "checks-title" },
      h("h2", { id: "checks-title", class: "checks-title" }, h("label", { for: CHECKS_INPUT_ID }, "Checks")),
      this.input,
      h("div", { class: "checks-actions", role: "group", "aria-label": "Checks actions" }, this.runButton, this.bestButton),
      this.summary,
    );
  }

  update(solve: SolveState, availability: ChecksAvailability | undefined, typed: string): void {
    // The box shows this problem's checks; while the user types in it, it already does.
    if (solve.problem !== this.problem || (this.input.value !== typed && !this.element.contains(document.activeElement))) {
      this.input.value = typed;
      this.problem = solve.problem;
    }
    const checks = solve.checks;
    const finished = solve.phase === "done" || (solve.phase === "cancelled" && solve.cards.some((card) => card.candidate));
    const blocked = blockedReason(availability);
    setAttribute(this.runButton, "disabled", !finished || blocked !== undefined || checks?.phase === "running");
    setAttribute(this.bestButton, "disabled", !finished);
    setAttribute(
      this.runButton,
      "title",
      blocked ?? (finished ? "Run every candidate against these checks" : "Checks run once the solve has finished"),
    );
    setAttribute(
      this.bestButton,
      "title",
      "Put in the best-ranked candidate, as Replace does: the one that passes the most checks (running them first), else the one most candidates agree with",
    );
    this.element.dataset.phase = checks?.phase ?? "none";
    this.renderSummary(solve, checks, blocked);
  }

  private renderSummary(solve: SolveState, checks: ChecksState | undefined, blocked: string | undefined): void {
    this.summary.classList.toggle("error", checks?.phase === "failed");
    if (!checks) {
      setText(
        this.summary,
        blocked ?? "The @example lines above the selection and what you type here run against every candidate, each in its own process.",
      );
      return;
    }
    if (checks.phase === "running") {
      setText(this.summary, `Running checks… ${checks.results.length} of ${solve.cards.length} candidates done`);
      return;
    }
    if (checks.phase === "failed") {
      setText(this.summary, checks.error ?? "The checks could not run.");
      return;
    }
    const passing = checks.results.filter((result) => result.status === "passed").length;
    const total = checks.results[0]?.total ?? 0;
    const all = total === 1 ? "the check" : `all ${plural(total, "check")}`;
    const verdict =
      passing > 0
        ? `${passing} of ${plural(checks.results.length, "candidate")} ${passing === 1 ? "passes" : "pass"} ${all}`
        : `No candidate passes ${all}`;
    const sandbox = checks.sandbox
      ? ` · ${checks.sandbox.runtime}${checks.sandbox.permissionModel ? ", permission model on" : ", no permission model"}`
      : "";
    setText(this.summary, `${verdict} (${describeSources(checks.checks ?? [])})${sandbox}`);
  }
}

/** What the panel's live region says when a run of checks starts or ends. */
export function checksAnnouncement(solve: SolveState | undefined): string {
  const checks = solve?.checks;
  if (!checks) return "";
  if (checks.phase === "running") return "Running checks.";
  if (checks.phase === "failed") return `Checks could not run: ${checks.error ?? "unknown error"}`;
  const passing = checks.results.filter((result) => result.status === "passed").length;
  const best = bestCandidate(
    solve.cards.map((card) => card.trajectory),
    checks,
    solve.groups,
  );
  const bestText = best ? ` The best is candidate ${best.trajectory + 1}.` : "";
  return `Checks done: ${passing} of ${plural(checks.results.length, "candidate")} passed.${bestText}`;
}

/** Why Run checks is off, or undefined when it is on. */
function blockedReason(availability: ChecksAvailability | undefined): string | undefined {
  if (availability?.trusted === false) return "Checks run the candidates' code, so they run only in a trusted workspace.";
  if (availability?.mode === "never") return 'Checks are off: stand.checks.run is "never".';
  return undefined;
}

/** "2 @example lines, 1 of yours". */
function describeSources(checks: readonly Check[]): string {
  const count = (source: Check["source"]): number => checks.filter((check) => check.source === source).length;
  const parts = [
    count("example") > 0 && plural(count("example"), "@example line"),
    count("user") > 0 && `${count("user")} of yours`,
    count("test") > 0 && "the test command",
  ].filter((part): part is string => typeof part === "string");
  return parts.join(", ") || "no checks";
}

const STATUS: Record<CandidateCheckStatus, { readonly icon: string; readonly text: string }> = {
  passed: { icon: "codicon-pass-filled", text: "passed" },
  failed: { icon: "codicon-error", text: "failed" },
  error: { icon: "codicon-warning", text: "error" },
  timeout: { icon: "codicon-watch", text: "timed out" },
};

/** One card's part of the checks: its status badge (in the card's header), the best mark and what failed. */
export class CardChecksView {
  readonly badge: HTMLElement;
  readonly bestMark: HTMLElement;
  readonly detail: HTMLElement;
  private rendered?: CandidateCheckResult;
  private renderedChecks?: readonly Check[];

  constructor() {
    this.badge = h("span", { class: "check-status", hidden: true });
    this.bestMark = h(
      "span",
      { class: "best-mark", hidden: true, title: "The best candidate: ranked first by checks passed, then by how many agree" },
      h("span", { class: "codicon codicon-verified-filled", "aria-hidden": "true" }),
      " best",
    );
    this.detail = h("div", { class: "check-detail", hidden: true });
  }

  /** Sets the card's attributes (data-check-status, data-best) and returns words for its aria-label. */
  update(card: HTMLElement, solve: SolveState, trajectory: number): string {
    const checks = solve.checks;
    const result = checkResultOf(checks, trajectory);
    const best =
      checks?.phase === "done" &&
      bestCandidate(
        solve.cards.map((c) => c.trajectory),
        checks,
        solve.groups,
      )?.trajectory === trajectory;
    setAttribute(card, "data-check-status", result?.status);
    setAttribute(card, "data-best", best ? "true" : undefined);
    setAttribute(this.bestMark, "hidden", !best);
    if (result !== this.rendered || checks?.checks !== this.renderedChecks) {
      this.rendered = result;
      this.renderedChecks = checks?.checks;
      this.renderBadge(result);
      this.renderDetail(result, checks?.checks);
    }
    if (!result) return "";
    return `, ${STATUS[result.status].text} ${result.passed} of ${plural(result.total, "check")}${best ? ", the best" : ""}`;
  }

  private renderBadge(result: CandidateCheckResult | undefined): void {
    setAttribute(this.badge, "hidden", !result);
    if (!result) return;
    const status = STATUS[result.status];
    this.badge.className = `check-status check-${result.status}`;
    this.badge.replaceChildren(
      h("span", { class: `codicon ${status.icon}`, "aria-hidden": "true" }),
      ` ${status.text} ${result.passed}/${result.total}`,
    );
    setAttribute(this.badge, "title", `${plural(result.passed, "check")} of ${result.total} passed (${Math.round(result.durationMs)} ms)`);
  }

  /** The first check the candidate did not pass: what ran, what was expected, what came back. */
  private renderDetail(result: CandidateCheckResult | undefined, checks: readonly Check[] | undefined): void {
    const lines = result && result.status !== "passed" ? failureLines(result, checks) : [];
    setAttribute(this.detail, "hidden", lines.length === 0);
    this.detail.replaceChildren(...lines);
  }
}

function failureLines(result: CandidateCheckResult, checks: readonly Check[] | undefined): HTMLElement[] {
  const index = result.results.findIndex((check) => check.outcome !== "passed" && check.outcome !== "skipped");
  const failed: CheckResult | undefined = result.results[index];
  const check = checks?.[index];
  if (!failed || !check) return result.message ? [h("div", { class: "check-line" }, result.message)] : [];
  const where = check.source === "example" ? "@example" : check.source === "user" ? "your check" : "test command";
  const lines = [h("div", { class: "check-line" }, h("span", { class: "muted" }, `${where}: `), h("code", {}, check.code))];
  if (failed.outcome === "failed" && check.expected !== undefined)
    lines.push(
      h(
        "div",
        { class: "check-line" },
        h("span", { class: "muted" }, "expected "),
        h("code", {}, check.expected),
        h("span", { class: "muted" }, ", got "),
        h("code", {}, failed.actual ?? "nothing"),
      ),
    );
  else if (failed.outcome === "failed")
    lines.push(h("div", { class: "check-line" }, h("span", { class: "muted" }, "gave "), h("code", {}, failed.actual ?? "nothing")));
  // A wrong value is said above; an error or a time-out says why.
  if (failed.message && failed.outcome !== "failed") lines.push(h("div", { class: "check-line check-message" }, failed.message));
  return lines;
}
