// A solve: the provenance legend, one card per trajectory, and the solve's statistics. Cards are
// kept per trajectory and told about their own state only; unchanged cards return at once.
import type { SolveState } from "../../common/panel";
import { CardView } from "./card";
import { h, setAttribute } from "./dom";
import { legend } from "./legend";
import { SolveStatsView } from "./stats";

export class SolveView {
  readonly element: HTMLElement;
  private readonly cardsElement: HTMLElement;
  private readonly stats = new SolveStatsView();
  private cards: CardView[] = [];
  private solveId?: string;

  constructor() {
    this.cardsElement = h("div", { class: "cards" });
    this.element = h("section", { id: "solve", "aria-label": "Candidates" }, legend(), this.cardsElement, this.stats.element);
  }

  update(solve: SolveState): void {
    setAttribute(this.element, "data-phase", solve.phase);
    if (solve.id !== this.solveId || solve.cards.length !== this.cards.length) {
      this.solveId = solve.id;
      this.cards = solve.cards.map((card) => new CardView(card.trajectory));
      this.cardsElement.replaceChildren(...this.cards.map((card) => card.element));
    }
    // One view per card, built above whenever the count changes.
    this.cards.forEach((view, index) => {
      const card = solve.cards[index];
      if (card) view.update(card, solve);
    });
    this.stats.update(solve);
  }

  /** Moves focus between cards with the arrow keys (when a card itself has focus). */
  focusSibling(card: Element, offset: number): boolean {
    const index = this.cards.findIndex((view) => view.element === card);
    const next = this.cards[index + offset];
    if (index < 0 || !next) return false;
    next.element.focus();
    return true;
  }
}
