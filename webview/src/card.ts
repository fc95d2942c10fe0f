// One card: a candidate's text (CandidateTextView), then, when the solve ends, its vote group, its
// statistics and what can be done with it. Identical candidates share one card ("×3"). A card is
// built once per solve and updated in place, and only when its own state changed.
import { agreement, type CardCandidate, type CardState, type ShownCard, type SolveState } from "../../common/panel";
import type { Candidate, TrajectoryStatistics } from "../../common/protocol";
import { CandidateTextView } from "./candidateText";
import { CardChecksView } from "./checksView";
import { h, setAttribute, setText } from "./dom";
import { formatRate, plural } from "./format";

const FINISH: Record<Candidate["finishReason"], { readonly text: string; readonly title: string }> = {
  stop: { text: "complete", title: "The model ended the candidate itself." },
  length: { text: "token limit", title: "The candidate reached the most tokens a solve may have (stand.maxTokens)." },
  cancelled: { text: "cancelled", title: "The solve was cancelled before the candidate ended; what it wrote so far can still be used." },
};

type ActionName = "insert" | "replace" | "diff" | "copy";

const ACTIONS: readonly { readonly action: ActionName; readonly label: string; readonly icon: string }[] = [
  { action: "insert", label: "Insert", icon: "insert" },
  { action: "replace", label: "Replace", icon: "replace" },
  { action: "diff", label: "Diff", icon: "diff" },
  { action: "copy", label: "Copy", icon: "copy" },
];

/** What each button does with the marked part (`what`), for its tooltip. */
function describeAction(action: ActionName, what: string, kind: "code" | "chat" | undefined): string {
  switch (action) {
    case "insert":
      return `Insert the ${what} after the text this was solved from (or at the cursor it was asked at)`;
    case "replace":
      return kind === "code"
        ? `Replace the text this was solved from with it, followed by the ${what}`
        : `Replace the text this was solved from with the ${what}`;
    case "diff":
      return `Compare the file with the file after Replace, before changing anything`;
    case "copy":
      return `Copy the ${what} to the clipboard`;
  }
}

type CardPhase = "streaming" | "finished" | "stopped";

export class CardView {
  readonly element: HTMLElement;
  private readonly title: HTMLElement;
  private readonly copiesBadge: HTMLElement;
  private readonly statusIcon: HTMLElement;
  private readonly voteGroup: HTMLElement;
  private readonly stats: HTMLElement;
  private readonly text = new CandidateTextView();
  private readonly checks = new CardChecksView();
  private actions?: HTMLElement;

  private renderedCard?: CardState;
  private renderedCopies = "";
  private renderedGroups?: SolveState["groups"];
  private renderedPhase?: CardPhase;
  private renderedChecks?: SolveState["checks"];

  constructor(readonly trajectory: number) {
    this.title = h("h3", { class: "card-title" });
    this.copiesBadge = h("span", { class: "copies", hidden: true });
    this.statusIcon = h("span", { class: "card-status codicon", "aria-hidden": "true" });
    this.voteGroup = h("span", { class: "vote-group", hidden: true });
    this.stats = h("div", { class: "card-stats" });
    this.element = h(
      "article",
      { class: "candidate-card", "data-trajectory": trajectory, tabindex: 0, role: "region" },
      h(
        "header",
        { class: "card-header" },
        this.statusIcon,
        this.title,
        this.copiesBadge,
        this.checks.bestMark,
        this.checks.badge,
        this.voteGroup,
      ),
      this.stats,
      this.checks.detail,
      this.text.element,
    );
  }

  /** Whether the card is near the view (see SolveView): its text is drawn only then. */
  setVisible(visible: boolean): void {
    this.text.setVisible(visible);
  }

  update({ card, copies }: ShownCard, solve: SolveState): void {
    const phase: CardPhase = card.candidate
      ? "finished"
      : solve.phase === "running" || solve.phase === "cancelling"
        ? "streaming"
        : "stopped";
    const copiesKey = copies.join(",");
    if (
      card === this.renderedCard &&
      copiesKey === this.renderedCopies &&
      solve.groups === this.renderedGroups &&
      phase === this.renderedPhase &&
      solve.checks === this.renderedChecks
    )
      return;

    this.text.update(card.spans, card.candidate, card.answerStart);
    this.updateTitle(copies);
    this.updateStatus(phase, card.candidate);
    this.updateStats(card.statistics, card.candidate);
    const agree = card.candidate ? agreement(solve, this.trajectory) : undefined;
    this.updateVote(agree, solve);
    this.updateActions(card.candidate, solve);
    setAttribute(this.element, "data-finished", card.candidate ? "true" : undefined);
    const checked = this.checks.update(this.element, solve, this.trajectory);
    setAttribute(this.element, "aria-label", this.label(phase, solve.cards.length, copies, card.candidate, agree) + checked);

    this.renderedCard = card;
    this.renderedCopies = copiesKey;
    this.renderedGroups = solve.groups;
    this.renderedPhase = phase;
    this.renderedChecks = solve.checks;
  }

  private updateTitle(copies: readonly number[]): void {
    setText(this.title, copies.length > 1 ? `Candidates ${listOf(copies.map((copy) => copy + 1))}` : `Candidate ${this.trajectory + 1}`);
    setAttribute(this.element, "data-copies", copies.length > 1 ? copies.join(" ") : undefined);
    setText(this.copiesBadge, copies.length > 1 ? `×${copies.length}` : "");
    setAttribute(this.copiesBadge, "title", copies.length > 1 ? `${copies.length} candidates wrote exactly this text` : undefined);
    setAttribute(this.copiesBadge, "hidden", copies.length < 2);
  }

  private updateActions(candidate: CardCandidate | undefined, solve: SolveState): void {
    if (!candidate) {
      this.actions?.remove();
      this.actions = undefined;
      return;
    }
    if (!this.actions) {
      this.actions = h(
        "div",
        { class: "card-actions", role: "group" },
        ...ACTIONS.map((spec) => h("vscode-button", { "data-action": spec.action, icon: spec.icon, secondary: true }, spec.label)),
      );
      this.element.append(this.actions);
    }
    setAttribute(this.actions, "aria-label", `Candidate ${this.trajectory + 1} actions`);
    const what = candidate.applied.kind === "answer" ? "answer" : `marked ${candidate.applied.kind}`;
    for (const spec of ACTIONS) {
      const button = this.actions.querySelector(`[data-action="${spec.action}"]`);
      if (!button) continue;
      const description = describeAction(spec.action, what, solve.plan?.kind);
      setAttribute(button, "title", description);
      setAttribute(button, "aria-label", `${spec.label}: ${description} (candidate ${this.trajectory + 1})`);
    }
  }

  private updateStatus(phase: CardPhase, candidate: CardCandidate | undefined): void {
    const icon =
      phase === "streaming"
        ? "codicon-ellipsis"
        : candidate?.finishReason === "stop"
          ? "codicon-pass"
          : candidate?.finishReason === "length"
            ? "codicon-warning"
            : "codicon-circle-slash";
    this.statusIcon.className = `card-status codicon ${icon}`;
    setAttribute(this.element, "aria-busy", phase === "streaming" ? "true" : undefined);
    setAttribute(this.element, "data-phase", phase);
  }

  /** Each number over this candidate alone: its tokens, its own time, its steps. */
  private updateStats(statistics: TrajectoryStatistics | undefined, candidate: CardCandidate | undefined): void {
    const items: HTMLElement[] = [];
    if (statistics) {
      items.push(h("span", { class: "stat", title: "Tokens in this candidate" }, plural(statistics.tokens, "token")));
      items.push(
        h(
          "span",
          { class: "stat", title: "This candidate's tokens per second, from the start of the solve to its last token" },
          `${formatRate(statistics.tokensPerSecond)} tok/s`,
        ),
      );
      items.push(
        h(
          "span",
          {
            class: "stat",
            title:
              "Tokens per model step for this candidate (the end-of-text token included): 1 without drafts, more when drafts were accepted",
          },
          `${formatRate(statistics.tokensPerCall)} tokens/step`,
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
    // Rebuilt only when the visible text changes (the statistics change with every batch).
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
    copies: readonly number[],
    candidate: CardCandidate | undefined,
    agree: { readonly agreeing: number; readonly of: number } | undefined,
  ): string {
    const name =
      copies.length > 1
        ? `Candidates ${listOf(copies.map((copy) => copy + 1))} of ${total}, identical`
        : `Candidate ${this.trajectory + 1} of ${total}`;
    if (phase === "streaming") return `${name}, generating`;
    if (phase === "stopped") return `${name}, stopped`;
    const finish = candidate ? FINISH[candidate.finishReason].text : "";
    return `${name}, ${finish}${agree ? `, ${agree.agreeing} of ${agree.of} candidates agree` : ""}`;
  }
}

/** "1, 2 and 5". */
function listOf(numbers: readonly number[]): string {
  if (numbers.length < 2) return numbers.join("");
  return `${numbers.slice(0, -1).join(", ")} and ${numbers[numbers.length - 1] ?? ""}`;
}
