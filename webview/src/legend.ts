// What the two marks in a candidate's text mean.
import { h } from "./dom";

export function legend(): HTMLElement {
  return h(
    "div",
    { class: "legend", role: "note", "aria-label": "Legend: how token provenance is marked" },
    h("span", { class: "legend-item" }, h("span", { class: "legend-sample legend-draft" }, "draft"), " accepted STAND draft token"),
    h("span", { class: "legend-item" }, h("span", { class: "legend-sample legend-model" }, "model"), " sampled by the model"),
  );
}
