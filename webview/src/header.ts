// The panel's header: the model and where it runs, the problem being solved and its phase, and the
// panel-wide actions. Built once; later states only change text and attributes, so a focused
// button keeps its focus while a solve streams.
import type { BenchmarkState, PanelState, SolveState } from "../../common/panel";
import type { ServerStatus } from "../../common/protocol";
import { h, setAttribute, setText } from "./dom";
import { formatDuration, formatRate, oneLine, plural } from "./format";
import { checksAnnouncement } from "./checksView";
import { progressRing } from "./ring";

const PHASE_TEXT: Record<SolveState["phase"], string> = {
  running: "Running",
  cancelling: "Cancelling…",
  done: "Done",
  cancelled: "Cancelled",
  failed: "Failed",
};

export class HeaderView {
  readonly element: HTMLElement;
  private readonly modelName: HTMLElement;
  private readonly backend: HTMLElement;
  private readonly modelState: HTMLElement;
  private readonly modelRing: HTMLElement;
  private readonly solveLine: HTMLElement;
  private readonly problem: HTMLElement;
  private readonly phase: HTMLElement;
  private readonly phaseRing: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly error: HTMLElement;
  private readonly live: HTMLElement;
  private readonly cancel: HTMLElement;
  private readonly solveAgain: HTMLElement;
  private readonly runBenchmark: HTMLElement;
  private liveKeys: string[] = [];

  constructor() {
    this.modelName = h("span", { class: "model-name" });
    this.backend = h("vscode-badge", { class: "backend", hidden: true });
    this.modelRing = progressRing(true);
    this.modelState = h("span", { class: "model-state" });
    this.problem = h("div", { class: "problem" });
    this.phase = h("vscode-badge", { class: "phase" });
    this.phaseRing = progressRing(true);
    this.summary = h("span", { class: "solve-summary" });
    this.error = h("p", { class: "solve-message", hidden: true });
    this.solveLine = h(
      "div",
      { class: "solve-line", hidden: true },
      this.problem,
      h("div", { class: "phase-line" }, this.phaseRing, this.phase, this.summary),
      this.error,
    );
    // The one live region: it changes when a solve or benchmark starts or ends, never per token.
    this.live = h("p", { class: "visually-hidden live-summary", "aria-live": "polite", "aria-atomic": "true" });
    this.cancel = h(
      "vscode-button",
      { "data-action": "cancel", icon: "debug-stop", secondary: true, hidden: true, title: "Stop generating (Escape)" },
      "Cancel",
    );
    this.solveAgain = h(
      "vscode-button",
      { "data-action": "solveAgain", icon: "refresh", secondary: true, hidden: true, title: "Solve the same problem again" },
      "Solve again",
    );
    this.runBenchmark = h(
      "vscode-button",
      { "data-action": "runBenchmark", icon: "dashboard", secondary: true, title: "Compare STAND with plain decoding on this machine" },
      "Run benchmark",
    );
    this.element = h(
      "header",
      { class: "panel-header" },
      h(
        "div",
        { class: "model-line" },
        h("span", { class: "codicon codicon-chip", "aria-hidden": "true" }),
        this.modelName,
        this.backend,
        this.modelRing,
        this.modelState,
      ),
      this.solveLine,
      h("div", { class: "toolbar", role: "group", "aria-label": "STAND actions" }, this.cancel, this.solveAgain, this.runBenchmark),
      this.live,
    );
  }

  update(state: PanelState): void {
    this.updateModel(state.status);
    this.updateSolve(state.solve);
    const phase = state.solve?.phase;
    const running = phase === "running" || phase === "cancelling";
    setAttribute(this.cancel, "hidden", !running);
    setAttribute(this.cancel, "disabled", phase === "cancelling");
    setAttribute(this.solveAgain, "hidden", !state.solve);
    setAttribute(this.solveAgain, "disabled", running);
    setAttribute(this.runBenchmark, "disabled", state.benchmark?.phase === "running");
    this.updateLive(state);
  }

  private updateModel(status: ServerStatus | undefined): void {
    const model = status?.model;
    setText(
      this.modelName,
      model
        ? model.name
        : status?.state === "loading"
          ? "Loading model…"
          : status?.state === "error"
            ? "No model"
            : status
              ? "No model loaded"
              : "Connecting to the language server…",
    );
    setAttribute(
      this.modelName,
      "title",
      model ? `${model.path}\n${model.contextSize.toLocaleString("en-US")} tokens of context · ${model.threads} threads` : undefined,
    );
    const backend = model ? [model.backend, ...model.devices].filter(Boolean).join(" · ") : "";
    setText(this.backend, backend);
    setAttribute(this.backend, "hidden", !backend);
    setAttribute(this.backend, "title", model?.fallbackReason ? `Fell back: ${model.fallbackReason}` : undefined);
    setAttribute(this.modelRing, "hidden", status?.state !== "loading");
    const stateText =
      status?.state === "loading" && model
        ? "loading…"
        : status?.state === "error"
          ? (status.error?.message ?? "The model failed to load.")
          : "";
    setText(this.modelState, stateText);
    this.modelState.classList.toggle("error", status?.state === "error");
  }

  private updateSolve(solve: SolveState | undefined): void {
    setAttribute(this.solveLine, "hidden", !solve);
    if (!solve) return;
    setText(this.problem, oneLine(solve.problem));
    setAttribute(this.problem, "title", solve.problem);
    setText(this.phase, PHASE_TEXT[solve.phase]);
    setAttribute(this.phase, "data-phase", solve.phase);
    setAttribute(this.phaseRing, "hidden", solve.phase !== "running" && solve.phase !== "cancelling");
    setText(this.summary, summaryText(solve));
    // A failure is an error; a cancel is what the user asked for, said plainly.
    const message =
      solve.phase === "failed"
        ? (solve.error ?? "The solve failed.")
        : solve.phase === "cancelled"
          ? solve.cards.some((card) => card.candidate)
            ? "Cancelled. The candidates so far can still be inserted, replaced, compared or copied."
            : "Cancelled."
          : "";
    setText(this.error, message);
    setAttribute(this.error, "hidden", !message);
    this.error.classList.toggle("error", solve.phase === "failed");
    this.error.classList.toggle("muted", solve.phase === "cancelled");
  }

  /** Announces what changed last: a solve's phase, the benchmark's, the model's state, or a run of checks. */
  private updateLive(state: PanelState): void {
    const checks = state.solve?.checks;
    const keys = [
      `${state.solve?.id ?? ""}:${state.solve?.phase ?? ""}`,
      state.benchmark?.phase ?? "",
      state.status?.state ?? "",
      checks ? `${checks.runId}:${checks.phase}` : "",
    ];
    const changed = keys.findIndex((key, index) => key !== this.liveKeys[index]);
    if (changed < 0) return;
    const first = this.liveKeys.length === 0;
    this.liveKeys = keys;
    // Nothing is announced for the state the panel opens with.
    if (first) return;
    const text =
      changed === 0
        ? solveAnnouncement(state.solve)
        : changed === 1
          ? benchmarkAnnouncement(state.benchmark)
          : changed === 2
            ? statusAnnouncement(state.status)
            : checksAnnouncement(state.solve);
    if (text) setText(this.live, text);
  }
}

function summaryText(solve: SolveState): string {
  const plan = solve.plan;
  const parts = plan ? [plural(plan.trajectories, "candidate"), `T ${plan.temperature}`] : ["starting…"];
  const statistics = solve.statistics;
  const last = solve.throughput[solve.throughput.length - 1];
  if (statistics)
    parts.push(plural(statistics.tokens, "token"), formatDuration(statistics.elapsedMs), `${formatRate(statistics.tokensPerSecond)} tok/s`);
  else if (last) parts.push(plural(last.tokens, "token"), formatDuration(last.elapsedMs));
  return parts.join(" · ");
}

function solveAnnouncement(solve: SolveState | undefined): string {
  switch (solve?.phase) {
    case undefined:
      return "";
    case "running":
      return "Generating candidates.";
    case "cancelling":
      return "Cancelling.";
    case "done": {
      const top = solve.groups?.[0];
      const vote = top ? ` ${top.members.length} of ${solve.cards.length} agree on the most common answer.` : "";
      return `Done: ${plural(solve.cards.length, "candidate")}${solve.statistics ? ` in ${formatDuration(solve.statistics.elapsedMs)}` : ""}.${vote}`;
    }
    case "cancelled":
      return "Generation cancelled.";
    case "failed":
      return `Generation failed: ${solve.error ?? "unknown error"}`;
  }
}

function benchmarkAnnouncement(benchmark: BenchmarkState | undefined): string {
  if (benchmark?.phase === "running") return "Running the benchmark.";
  if (benchmark?.phase === "done") return "Benchmark finished.";
  if (benchmark?.phase === "failed") return `Benchmark failed: ${benchmark.error ?? "unknown error"}`;
  return "";
}

function statusAnnouncement(status: ServerStatus | undefined): string {
  if (status?.state === "error") return `The model failed to load: ${status.error?.message ?? "unknown error"}`;
  if (status?.state === "ready" && status.model) return `Model ${status.model.name} ready.`;
  return "";
}
