// What the panel says before the first solve.
import { h } from "./dom";

export function emptyState(): HTMLElement {
  const command = (name: string): HTMLElement => h("span", { class: "command" }, name);
  return h(
    "section",
    { id: "empty", "aria-labelledby": "empty-title" },
    h("h2", { id: "empty-title" }, h("span", { class: "codicon codicon-sparkle", "aria-hidden": "true" }), " No candidates yet"),
    h(
      "p",
      {},
      "STAND decodes several candidate solutions at once with a local model. Drafts from an n-gram table the candidates share are verified so the output is exactly what plain sampling would give, only faster.",
    ),
    h(
      "ul",
      { class: "hints" },
      h("li", {}, "Select code and run ", command("STAND: Solve Selection with N Candidates"), " (", h("kbd", {}, "Ctrl+Alt+S"), ")."),
      h("li", {}, "Or run ", command("STAND: Solve a Problem…"), " to type a problem."),
      h(
        "li",
        {},
        "Pick a model with ",
        command("STAND: Select Model…"),
        "; the number of candidates is the ",
        h("code", {}, "stand.trajectories"),
        " setting.",
      ),
      h("li", {}, h("span", { class: "command" }, "Run benchmark"), " compares STAND with plain decoding on this machine."),
    ),
  );
}
