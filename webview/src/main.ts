// The candidates panel's script. It runs inside the webview's browser sandbox and talks to the
// extension only through postMessage: ToPanel messages in (folded with the shared reducer),
// FromPanel messages out. The state is saved with setState after every message, so a hidden and
// re-shown view starts from it even before the extension's snapshot arrives.
import "./elements";
import { emptyPanelState, reducePanel, type PanelState } from "../../common/panel";
import { actionMessage } from "./actions";
import { isToPanel } from "./messages";
import { PanelView } from "./panel";
import { connectBridge } from "./vscodeApi";

const bridge = connectBridge();
const root = document.getElementById("app") ?? document.body.appendChild(document.createElement("div"));
root.id = "app";
const view = new PanelView(root);
let state: PanelState = bridge.restore() ?? emptyPanelState;

// Streaming posts many messages per frame: fold them all, render once per frame.
let scheduled = false;
function flush(): void {
  if (!scheduled) return;
  scheduled = false;
  view.render(state);
}
function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(flush);
  // A hidden page gets no animation frames.
  setTimeout(flush, 100);
}

window.addEventListener("message", (event: MessageEvent<unknown>) => {
  if (!isToPanel(event.data)) return;
  state = reducePanel(state, event.data);
  bridge.save(state);
  schedule();
});

root.addEventListener("click", (event) => {
  const message = actionMessage(event.target, state);
  if (message) bridge.post(message);
});
root.addEventListener("keydown", (event) => {
  view.handleKey(event);
});

view.render(state);
bridge.post({ type: "ready" });
