// The candidates panel's script. It runs inside the webview's browser sandbox and talks to the
// extension only through postMessage: batches of events in (folded with the shared reducer),
// FromPanel messages out. However many events arrive, the panel renders once per animation frame
// and then tells the extension it has ("rendered"), which is when the extension sends the next
// batch. The state is saved with setState (at most twice a second while a solve streams), so a
// hidden and re-shown view starts from it even before the extension's snapshot arrives.
import "./elements";
import { emptyPanelState, reducePanel, type PanelState } from "../../common/panel";
import { actionMessage } from "./actions";
import { CHECKS_INPUT_ID } from "./checksView";
import { isToPanel } from "./messages";
import { PanelView } from "./panel";
import { connectBridge } from "./vscodeApi";

const SAVE_INTERVAL_MS = 500;

const bridge = connectBridge();
const root = document.getElementById("app") ?? document.body.appendChild(document.createElement("div"));
root.id = "app";
const view = new PanelView(root);
let state: PanelState = bridge.restore() ?? emptyPanelState;

let scheduled = false;
let acknowledge = false;
let savedAt = 0;
let savedPhase: string | undefined;
let saveTimer: ReturnType<typeof setTimeout> | undefined;

/** Saves now when the solve changed phase (or enough time passed), else soon: serialising a big state per frame costs. */
function save(): void {
  if (phaseOf(state) !== savedPhase || Date.now() - savedAt >= SAVE_INTERVAL_MS) {
    saveNow();
  } else {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(save, SAVE_INTERVAL_MS);
  }
}

function saveNow(): void {
  clearTimeout(saveTimer);
  bridge.save(state);
  savedAt = Date.now();
  savedPhase = phaseOf(state);
}

function phaseOf(panel: PanelState): string {
  return `${panel.solve?.id ?? ""}:${panel.solve?.phase ?? ""}:${panel.benchmark?.phase ?? ""}`;
}

function flush(): void {
  if (!scheduled) return;
  scheduled = false;
  view.render(state);
  save();
  if (acknowledge) {
    acknowledge = false;
    bridge.post({ type: "rendered" });
  }
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(flush);
  // A hidden page gets no animation frames.
  setTimeout(flush, 100);
}

window.addEventListener("message", (event: MessageEvent<unknown>) => {
  const message = event.data;
  if (!isToPanel(message)) return;
  if (message.type === "events") {
    for (const panelEvent of message.events) state = reducePanel(state, panelEvent);
    acknowledge = true;
  } else {
    state = reducePanel(state, message);
  }
  schedule();
});

root.addEventListener("click", (event) => {
  const message = actionMessage(event.target, state);
  if (message) bridge.post(message);
});
root.addEventListener("keydown", (event) => {
  view.handleKey(event);
});
// The checks box: folded here at once (the box already shows it) and told to the extension, which
// keeps it per problem and sends it with the next run.
root.addEventListener("input", (event) => {
  const target = event.target;
  if (!(target instanceof HTMLElement) || target.id !== CHECKS_INPUT_ID || !state.solve) return;
  const edited = {
    type: "userChecksEdited",
    problem: state.solve.problem,
    checks: (target as HTMLElement & { value: string }).value,
  } as const;
  state = reducePanel(state, edited);
  bridge.post(edited);
  // What the user typed is saved at once: a view hidden or reloaded before a deferred save would
  // come back without it (a keystroke is rare next to a solve's frames).
  saveNow();
});
// Escape anywhere in the panel stops a running solve: keys pressed inside a webview do not reach
// the workbench's keybindings with the panel's context.
window.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || event.defaultPrevented || state.solve?.phase !== "running") return;
  event.preventDefault();
  bridge.post({ type: "cancel" });
});

view.render(state);
bridge.post({ type: "ready" });
