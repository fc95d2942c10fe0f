// A small indeterminate progress ring. <vscode-progress-ring> is an assertive alert by default;
// here it is decoration only: the panel's one polite live region says what is happening.
import { h } from "./dom";

export function progressRing(hidden = false): HTMLElement {
  return h("vscode-progress-ring", { class: "inline-ring", role: "presentation", "aria-hidden": "true", "aria-live": "off", hidden });
}
