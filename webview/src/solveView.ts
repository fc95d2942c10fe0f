// A solve: the provenance legend, the checks, the cards (ordered by checks passed once they ran),
// and the solve's statistics. Cards are kept per trajectory and told about their own state only;
// unchanged cards return at once. Identical finished candidates share the first one's card. An
// observer tells each card whether it is near the view, so cards far below it wait to be drawn
// until the user scrolls to them.
import { shownCards, type SolveState } from "../../common/panel";
import { checkedOrder, type ChecksAvailability } from "../../common/panelChecks";
import { CardView } from "./card";
import { ChecksView } from "./checksView";
import { h, setAttribute } from "./dom";
import { legend } from "./legend";
import { SolveStatsView } from "./stats";

export class SolveView {
  readonly element: HTMLElement;
  private readonly cardsElement: HTMLElement;
  private readonly stats = new SolveStatsView();
  private readonly checks = new ChecksView();
  private readonly cards = new Map<number, CardView>();
  private shown: CardView[] = [];
  private solveId?: string;
  private readonly byElement = new Map<Element, CardView>();
  /** "Near" is within a screen or two: scrolling shows drawn cards, not blank ones. */
  private readonly observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) this.byElement.get(entry.target)?.setVisible(entry.isIntersecting);
    },
    { rootMargin: "1500px 0px" },
  );

  constructor() {
    this.cardsElement = h("div", { class: "cards" });
    this.element = h(
      "section",
      { id: "solve", "aria-label": "Candidates" },
      legend(),
      this.checks.element,
      this.cardsElement,
      this.stats.element,
    );
  }

  /** `typedChecks`: what the checks box holds for this problem. */
  update(solve: SolveState, availability: ChecksAvailability | undefined, typedChecks: string): void {
    setAttribute(this.element, "data-phase", solve.phase);
    setAttribute(this.element, "data-solve-id", solve.id);
    if (solve.id !== this.solveId) {
      this.solveId = solve.id;
      this.cards.clear();
      this.byElement.clear();
      this.observer.disconnect();
    }
    // Once candidates have check results: passed checks first, then the vote (see checkedOrder).
    const order = checkedOrder(
      solve.cards.map((card) => card.trajectory),
      solve.checks,
      solve.groups,
    );
    const shown = shownCards(solve).sort((a, b) => order.indexOf(a.card.trajectory) - order.indexOf(b.card.trajectory));
    const views = shown.map(({ card }) => {
      let view = this.cards.get(card.trajectory);
      if (!view) {
        view = new CardView(card.trajectory);
        this.cards.set(card.trajectory, view);
        this.byElement.set(view.element, view);
        this.observer.observe(view.element);
      }
      return view;
    });
    if (views.length !== this.shown.length || views.some((view, index) => view !== this.shown[index])) {
      this.shown = views;
      this.cardsElement.replaceChildren(...views.map((view) => view.element));
    }
    shown.forEach((card, index) => views[index]?.update(card, solve));
    this.checks.update(solve, availability, typedChecks);
    this.stats.update(solve);
  }

  /** Moves focus between cards with the arrow keys (when a card itself has focus). */
  focusSibling(card: Element, offset: number): boolean {
    const index = this.shown.findIndex((view) => view.element === card);
    const next = this.shown[index + offset];
    if (index < 0 || !next) return false;
    next.element.focus();
    return true;
  }
}
