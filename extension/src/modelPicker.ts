// "Select Model…": a recommended model (downloaded from its hf: URI), the embedded demo model, a
// local .gguf, or any path or hf: URI. The server loads it first (a download shows in a cancellable
// notification); only a model that loaded becomes the setting, so a bad choice never leaves the
// user without a working model.
import * as vscode from "vscode";
import { WorkDoneProgress, type LanguageClient } from "vscode-languageclient/node";
import { EMBEDDED_MODEL_NAME } from "../../common/product";
import { isCancelledRequest, LoadModelRequest, type ModelInfo } from "../../common/protocol";
import { MACHINE_LABELS, RECOMMENDED_MODELS } from "../../common/recommendedModels";
import { SECTION } from "./settings";
import { errorMessage, showError } from "./errorNotifications";

interface ModelChoice extends vscode.QuickPickItem {
  readonly pick: () => Thenable<string | undefined>;
}

export async function selectModel(client: LanguageClient): Promise<void> {
  const current = vscode.workspace.getConfiguration(SECTION).get<string>("model") ?? "";
  const separator = (label: string): ModelChoice => ({
    label,
    kind: vscode.QuickPickItemKind.Separator,
    pick: () => Promise.resolve(undefined),
  });
  const choices: ModelChoice[] = [
    // Recommended models by machine, in the list's order (downloaded once).
    ...RECOMMENDED_MODELS.flatMap((model, index): ModelChoice[] => [
      ...(RECOMMENDED_MODELS[index - 1]?.machine === model.machine ? [] : [separator(`recommended: ${MACHINE_LABELS[model.machine]}`)]),
      {
        label: `$(cloud-download) ${model.label}`,
        description: `${model.sizeGB.toFixed(1)} GB${current === model.uri ? " · current" : ""}`,
        detail: `${model.uri} — ${model.note}`,
        pick: () => Promise.resolve(model.uri),
      },
    ]),
    separator("on this machine"),
    {
      label: `$(package) Embedded demo model (${EMBEDDED_MODEL_NAME})`,
      description: current === "" ? "current" : undefined,
      detail: "5.8M parameters, ships with the extension: shows how STAND works; the code it writes is not meant to be correct.",
      pick: () => Promise.resolve(""),
    },
    { label: "$(file) Browse for a .gguf file…", pick: browseForGguf },
    {
      label: "$(edit) Enter a path or hf: URI…",
      detail: "For example hf:Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF:Q8_0 (downloaded once, into the extension's storage).",
      pick: () =>
        vscode.window.showInputBox({
          title: "STAND: model path or hf: URI",
          prompt: "A local .gguf path, or hf:<user>/<repo>[:<quantisation>]",
          value: current,
          ignoreFocusOut: true,
          validateInput: (value) => (value.trim() ? undefined : "Enter a path or an hf: URI (or pick the embedded model)."),
        }),
    },
  ];
  if (current && !choices.some((choice) => choice.description?.includes("current")))
    choices.push({ label: `$(history) ${current}`, description: "current", pick: () => Promise.resolve(current) });
  const choice = await vscode.window.showQuickPick(choices, {
    title: "STAND: Select Model",
    placeHolder: "Which GGUF model should STAND run?",
  });
  const model = (await choice?.pick())?.trim();
  if (model === undefined) return;
  const info = await loadModel(client, model);
  if (info) await vscode.workspace.getConfiguration(SECTION).update("model", model, vscode.ConfigurationTarget.Global);
}

async function browseForGguf(): Promise<string | undefined> {
  const files = await vscode.window.showOpenDialog({
    title: "STAND: choose a GGUF model",
    canSelectMany: false,
    filters: { "GGUF models": ["gguf"] },
    openLabel: "Use this model",
  });
  return files?.[0]?.fsPath;
}

/** Loads `model` in the server with a cancellable progress notification; shows why it failed. */
export async function loadModel(client: LanguageClient, model: string): Promise<ModelInfo | undefined> {
  const name = model || "the embedded model";
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `STAND: loading ${name}`, cancellable: true },
      (progress, token) => {
        const workDoneToken = `stand-load-${Date.now()}`;
        let reported = 0;
        const subscription = client.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
          // The notification's title names the model already; only what the load is doing is added.
          if (value.kind !== "report") return;
          const percent = value.percentage ?? reported;
          progress.report({ message: value.message, increment: Math.max(0, percent - reported) });
          reported = percent;
        });
        return client.sendRequest(LoadModelRequest, { model, workDoneToken }, token).finally(() => {
          subscription.dispose();
        });
      },
    );
  } catch (error) {
    // Cancelled: the server has gone back to the model it had; nothing to report.
    if (isCancelledRequest(error)) return undefined;
    showError(errorMessage(error));
    return undefined;
  }
}
