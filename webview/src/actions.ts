// What a click (or Enter/Space on a focused button) on a [data-action] element asks the extension.
import type { FromPanel, PanelState } from "../../common/panel";

export function actionMessage(target: EventTarget | null, state: PanelState): FromPanel | undefined {
  if (!(target instanceof Element)) return undefined;
  const button = target.closest("[data-action]");
  if (!button || button.hasAttribute("disabled")) return undefined;
  const action = button.getAttribute("data-action");
  switch (action) {
    case "cancel":
    case "solveAgain":
    case "runBenchmark":
      return { type: action };
    case "runChecks":
    case "applyBest":
      return state.solve ? { type: action, solveId: state.solve.id } : undefined;
    case "insert":
    case "replace":
    case "diff":
    case "copy": {
      const solve = state.solve;
      const trajectory = Number(button.closest(".candidate-card")?.getAttribute("data-trajectory"));
      if (!solve || !Number.isInteger(trajectory) || !solve.cards.some((card) => card.trajectory === trajectory && card.candidate))
        return undefined;
      return action === "copy"
        ? { type: "copy", solveId: solve.id, trajectory }
        : { type: "apply", solveId: solve.id, trajectory, mode: action };
    }
    default:
      return undefined;
  }
}
