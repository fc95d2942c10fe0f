// One candidate: its streamed text (provenance-marked), then, when the solve finishes, the answer
// laid out for reading, its vote group, its statistics and what can be done with it. A card is
// built once per solve and updated in place, and only when its own state changed.
import { agreement, type CardState, type SolveState } from "../../common/panel";
import type { Candidate, TrajectoryStatistics } from "../../common/protocol";
import { layoutOf, structuredAnswer } from "./answer";
import { h, setAttribute, setText } from "./dom";
import { formatRate, plural } from "./format";
import { SpanText } from "./spans";

const FINISH: Record<Candidate["finishReason"], { readonly text: string; readonly title: string }> = {
  stop: { text: "complete", title: "The model ended the candidate itself." },
  length: { text: "token limit", title: "The candidate reached the most tokens a solve may have (stand.maxTokens)." },
  cancelled: { text: "cancelled", title: "The solve was cancelled before the candidate ended." },
};

interface ActionSpec {
  readonly action: "insert" | "replace" | "diff" | "copy";
  readonly label: string;
  readonly icon: string;
  readonly describe: (what: string) => string;
}

const ACTIONS: readonly ActionSpec[] = [
  { action: "insert", label: "Insert", icon: "insert", describe: (what) => `Insert the ${what} at the cursor` },
  { action: "replace", label: "Replace", icon: "replace", describe: (what) => `Replace the selection with the ${what}` },
  { action: "diff", label: "Diff", icon: "diff", describe: (what) => `Compare the ${what} with the selection` },
  { action: "copy", label: "Copy", icon: "copy", describe: (what) => `Copy the ${what} to the clipboard` },
];

type CardPhase = "streaming" | "finished" | "stopped";

export class CardView {
  readonly element: HTMLElement;
  private readonly title: HTMLElement;
  private readonly statusIcon: HTMLElement;
  private readonly voteGroup: HTMLElement;
  private readonly stats: HTMLElement;
  private readonly body: HTMLElement;
  private readonly output: HTMLPreElement;
  private readonly text = new SpanText();
  private actions?: HTMLElement;

  private renderedCard?: CardState;
  private renderedCandidate?: Candidate;
  private renderedGroups?: SolveState["groups"];
  private renderedPhase?: CardPhase;
  private renderedTotal = -1;

  constructor(readonly trajectory: number) {
    this.title = h("h3", { class: "card-title" }, `Candidate ${trajectory + 1}`);
    this.statusIcon = h("span", { class: "card-status codicon", "aria-hidden": "true" });
    this.voteGroup = h("span", { class: "vote-group", hidden: true });
    this.stats = h("div", { class: "card-stats" });
    this.output = h("pre", { class: "candidate-output" }, this.text.element);
    this.body = h("div", { class: "card-body" }, this.output);
    this.element = h(
      "article",
      { class: "candidate-card", "data-trajectory": trajectory, tabindex: 0, role: "region" },
      h("header", { class: "card-header" }, this.statusIcon, this.title, this.voteGroup),
      this.stats,
      this.body,
    );
  }

  update(card: CardState, solve: SolveState): void {
    const phase: CardPhase = card.candidate ? "finished" : solve.phase === "running" ? "streaming" : "stopped";
    if (
      card === this.renderedCard &&
      solve.groups === this.renderedGroups &&
      phase === this.renderedPhase &&
      solve.trajectories === this.renderedTotal
    )
      return;

    // While streaming, a card scrolled to the end of its text stays there as the text grows.
    const output = this.output;
    const follow =
      phase === "streaming" &&
      output.scrollHeight > output.clientHeight &&
      output.scrollHeight - output.scrollTop - output.clientHeight < 8;
    this.text.update(card.spans);
    if (follow) output.scrollTop = output.scrollHeight;
    if (card.candidate !== this.renderedCandidate) this.layOut(card.candidate);
    this.updateStatus(phase, card.candidate);
    this.updateStats(card.statistics, card.candidate);
    const agree = card.candidate ? agreement(solve, this.trajectory) : undefined;
    this.updateVote(agree, solve);
    setAttribute(this.element, "aria-label", this.label(phase, solve.trajectories, card.candidate, agree));

    this.renderedCard = card;
    this.renderedGroups = solve.groups;
    this.renderedPhase = phase;
    this.renderedTotal = solve.trajectories;
  }

  /** Keeps the streamed text element (its spans stay) and arranges the rest around it. */
  private layOut(candidate: Candidate | undefined): void {
    this.renderedCandidate = candidate;
    const layout = candidate ? layoutOf(candidate) : undefined;
    this.output.className =
      layout === "code" ? "candidate-output code-block" : layout === "text" ? "candidate-output prose" : "candidate-output";
    if (layout === "structured" && candidate) {
      const raw = h("details", { class: "raw-output" }, h("summary", {}, "Output with token provenance"), this.output);
      this.body.replaceChildren(...structuredAnswer(candidate), raw);
    } else {
      this.body.replaceChildren(this.output);
    }
    setAttribute(this.element, "data-finished", candidate ? "true" : undefined);
    setAttribute(this.element, "data-layout", layout);
    if (candidate && !this.actions) {
      this.actions = this.actionBar(candidate);
      this.element.append(this.actions);
    } else if (candidate && this.actions) {
      this.describeActions(this.actions, candidate);
    } else if (!candidate && this.actions) {
      this.actions.remove();
      this.actions = undefined;
    }
  }

  private actionBar(candidate: Candidate): HTMLElement {
    const bar = h("div", { class: "card-actions", role: "group", "aria-label": `Candidate ${this.trajectory + 1} actions` });
    for (const spec of ACTIONS) {
      bar.append(h("vscode-button", { "data-action": spec.action, icon: spec.icon, secondary: true }, spec.label));
    }
    this.describeActions(bar, candidate);
    return bar;
  }

  private describeActions(bar: HTMLElement, candidate: Candidate): void {
    const what = candidate.codeBlocks.length > 1 ? "first code block" : candidate.codeBlocks.length === 1 ? "code" : "answer";
    for (const spec of ACTIONS) {
      const button = bar.querySelector(`[data-action="${spec.action}"]`);
      if (!button) continue;
      const description = spec.describe(what);
      setAttribute(button, "title", description);
      setAttribute(button, "aria-label", `${spec.label}: ${description.toLowerCase()} (candidate ${this.trajectory + 1})`);
    }
  }

  private updateStatus(phase: CardPhase, candidate: Candidate | undefined): void {
    const icon =
      phase === "streaming"
        ? "codicon-loading codicon-modifier-spin"
        : phase === "stopped"
          ? "codicon-circle-slash"
          : candidate?.finishReason === "stop"
            ? "codicon-pass"
            : candidate?.finishReason === "length"
              ? "codicon-warning"
              : "codicon-circle-slash";
    this.statusIcon.className = `card-status codicon ${icon}`;
    setAttribute(this.element, "aria-busy", phase === "streaming" ? "true" : undefined);
    setAttribute(this.element, "data-phase", phase);
  }

  private updateStats(statistics: TrajectoryStatistics | undefined, candidate: Candidate | undefined): void {
    const items: HTMLElement[] = [];
    if (statistics) {
      items.push(h("span", { class: "stat", title: "Tokens in this candidate" }, plural(statistics.tokens, "token")));
      items.push(
        h("span", { class: "stat", title: "Tokens per second for this candidate" }, `${formatRate(statistics.tokensPerSecond)} tok/s`),
      );
      items.push(
        h(
          "span",
          { class: "stat", title: "Tokens committed per model call: 1 without drafts, more when drafts were accepted" },
          `${formatRate(statistics.tokensPerCall)} tokens/call`,
        ),
      );
      if (statistics.draftedTokens > 0) {
        items.push(
          h(
            "span",
            { class: "stat", title: "Draft tokens accepted by verification, of those drafted" },
            `${statistics.acceptedDraftTokens}/${statistics.draftedTokens} drafts accepted`,
          ),
        );
      }
    } else {
      items.push(h("span", { class: "stat muted" }, "waiting for the first tokens…"));
    }
    if (candidate) {
      const finish = FINISH[candidate.finishReason];
      items.push(h("span", { class: `stat finish finish-${candidate.finishReason}`, title: finish.title }, finish.text));
    }
    const text = items.map((item) => item.textContent).join(" · ");
    // Rebuilt only when the visible text changes (the statistics change with every step).
    if (this.stats.dataset.text !== text) {
      this.stats.dataset.text = text;
      this.stats.replaceChildren(...items);
    }
  }

  private updateVote(agree: { readonly agreeing: number; readonly of: number } | undefined, solve: SolveState): void {
    if (!agree) {
      setAttribute(this.voteGroup, "hidden", true);
      setText(this.voteGroup, "");
      return;
    }
    const groups = solve.groups ?? [];
    const top = groups[0];
    const majority =
      top !== undefined &&
      top.members.includes(this.trajectory) &&
      top.members.length > 1 &&
      top.members.length > (groups[1]?.members.length ?? 0);
    setText(this.voteGroup, `${agree.agreeing} of ${agree.of} candidates agree`);
    this.voteGroup.classList.toggle("majority", majority);
    setAttribute(
      this.voteGroup,
      "title",
      majority ? "The majority answer: the most candidates agree on it" : "Candidates agree when their code (or answer) is the same",
    );
    setAttribute(this.voteGroup, "hidden", false);
  }

  private label(
    phase: CardPhase,
    total: number,
    candidate: Candidate | undefined,
    agree: { readonly agreeing: number; readonly of: number } | undefined,
  ): string {
    const name = `Candidate ${this.trajectory + 1} of ${total}`;
    if (phase === "streaming") return `${name}, generating`;
    if (phase === "stopped") return `${name}, stopped`;
    const finish = candidate ? FINISH[candidate.finishReason].text : "";
    return `${name}, ${finish}${agree ? `, ${agree.agreeing} of ${agree.of} candidates agree` : ""}`;
  }
}
