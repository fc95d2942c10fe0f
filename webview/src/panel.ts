// The whole panel, rendered from PanelState alone. Each part remembers what it last rendered and
// skips work when its slice of the state is the same object (the reducer copies only what changed).
// The solve and the benchmark are shown newest first, so what the user just started is in view.
import type { PanelState } from "../../common/panel";
import { userChecksFor } from "../../common/panelChecks";
import { BenchmarkView } from "./benchmarkView";
import { h, setAttribute } from "./dom";
import { emptyState } from "./emptyState";
import { HeaderView } from "./header";
import { SolveView } from "./solveView";

export class PanelView {
  private readonly header = new HeaderView();
  private readonly empty = emptyState();
  private readonly main: HTMLElement;
  private solve?: SolveView;
  private benchmark?: BenchmarkView;

  constructor(root: HTMLElement) {
    this.main = h("main", { class: "panel-main" }, this.empty);
    root.replaceChildren(this.header.element, this.main);
  }

  render(state: PanelState): void {
    this.header.update(state);
    setAttribute(this.empty, "hidden", state.solve !== undefined || state.benchmark !== undefined);
    if (state.solve) {
      this.solve ??= new SolveView();
      this.solve.update(state.solve, state.checksAvailability, userChecksFor(state.userChecks, state.solve.problem));
    } else {
      this.solve?.element.remove();
      this.solve = undefined;
    }
    if (state.benchmark) {
      this.benchmark ??= new BenchmarkView();
      this.benchmark.update(state.benchmark);
    } else {
      this.benchmark?.element.remove();
      this.benchmark = undefined;
    }
    const benchmarkFirst = state.benchmark !== undefined && state.benchmark.startedAt > (state.solve?.startedAt ?? 0);
    const order = [this.empty, ...(benchmarkFirst ? [this.benchmark, this.solve] : [this.solve, this.benchmark])].flatMap((part) =>
      part === undefined ? [] : [part instanceof HTMLElement ? part : part.element],
    );
    if (order.some((element, index) => this.main.children[index] !== element) || this.main.children.length !== order.length)
      this.main.replaceChildren(...order);
  }

  /** Arrow keys on a focused card move to the next or previous card. */
  handleKey(event: KeyboardEvent): void {
    const target = event.target;
    if (!(target instanceof HTMLElement) || !target.classList.contains("candidate-card") || !this.solve) return;
    const offset = event.key === "ArrowDown" ? 1 : event.key === "ArrowUp" ? -1 : 0;
    if (offset !== 0 && this.solve.focusSibling(target, offset)) event.preventDefault();
  }
}
