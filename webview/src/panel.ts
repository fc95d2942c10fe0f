// The whole panel, rendered from PanelState alone. Each part remembers what it last rendered and
// skips work when its slice of the state is the same object (the reducer copies only what changed).
import type { PanelState } from "../../common/panel";
import { h, setAttribute } from "./dom";
import { emptyState } from "./emptyState";
import { HeaderView } from "./header";
import { SolveView } from "./solveView";
import { BenchmarkView } from "./stats";

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
    setAttribute(this.empty, "hidden", state.solve !== undefined);
    if (state.solve) {
      if (!this.solve) {
        this.solve = new SolveView();
        this.empty.after(this.solve.element);
      }
      this.solve.update(state.solve);
    } else if (this.solve) {
      this.solve.element.remove();
      this.solve = undefined;
    }
    if (state.benchmark) {
      if (!this.benchmark) {
        this.benchmark = new BenchmarkView();
        this.main.append(this.benchmark.element);
      }
      this.benchmark.update(state.benchmark);
    } else if (this.benchmark) {
      this.benchmark.element.remove();
      this.benchmark = undefined;
    }
  }

  /** Arrow keys on a focused card move to the next or previous card. */
  handleKey(event: KeyboardEvent): void {
    const target = event.target;
    if (!(target instanceof HTMLElement) || !target.classList.contains("candidate-card") || !this.solve) return;
    const offset = event.key === "ArrowDown" ? 1 : event.key === "ArrowUp" ? -1 : 0;
    if (offset !== 0 && this.solve.focusSibling(target, offset)) event.preventDefault();
  }
}
