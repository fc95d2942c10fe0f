// From the flat `stand.*` configuration keys to the server's settings and the extension's own
// (inline completion switches). No VS Code import: unit-tested.
import type { ChecksMode } from "../../common/panelChecks";
import { defaultSettings, type DraftShapeSetting, type GpuSetting, type StandSettings } from "../../common/protocol";

export interface InlineSettings {
  readonly enabled: boolean;
  readonly disabledLanguages: readonly string[];
  readonly debounceMs: number;
}

export interface ChecksSettings {
  readonly run: ChecksMode;
  /** A shell command run once per candidate in the file's workspace folder ("" for none). */
  readonly testCommand: string;
}

export interface ExtensionSettings {
  readonly server: StandSettings;
  readonly inline: InlineSettings;
  readonly checks: ChecksSettings;
}

type Get = (key: string) => unknown;

const GPU_VALUES: readonly GpuSetting[] = ["auto", "cuda", "vulkan", "metal", "off"];
const CHECKS_MODES: readonly ChecksMode[] = ["ask", "always", "never"];

/**
 * Out-of-range or mistyped values fall back to the nearest valid one. `stand.model` and
 * `stand.gpu` are machine-scoped and listed as restricted for untrusted workspaces in the
 * manifest, so VS Code itself keeps a workspace from choosing what native code loads; so are
 * `stand.checks.run` and `stand.checks.testCommand`, which decide what code runs.
 */
export function serverSettingsFrom(get: Get): ExtensionSettings {
  const number = (key: string, fallback: number, min: number, max: number): number => {
    const value = get(key);
    return typeof value === "number" && Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;
  };
  const integer = (key: string, fallback: number, min: number, max: number): number => Math.round(number(key, fallback, min, max));
  const model = get("model");
  const gpu = get("gpu");
  const languages = get("inline.disabledLanguages");
  const checksRun = get("checks.run");
  const testCommand = get("checks.testCommand");
  return {
    server: {
      model: typeof model === "string" ? model.trim() : defaultSettings.model,
      gpu: GPU_VALUES.includes(gpu as GpuSetting) ? (gpu as GpuSetting) : defaultSettings.gpu,
      trajectories: integer("trajectories", defaultSettings.trajectories, 1, 64),
      temperature: number("temperature", defaultSettings.temperature, 0, 2),
      topK: integer("topK", defaultSettings.topK, 0, 1000),
      topP: number("topP", defaultSettings.topP, 0, 1),
      minP: number("minP", defaultSettings.minP, 0, 1),
      maxTokens: integer("maxTokens", defaultSettings.maxTokens, 1, 8192),
      draftShape: draftShapeOf(get("draftShape")),
      inlineCandidates: integer("inline.candidates", defaultSettings.inlineCandidates, 1, 8),
      inlineMaxTokens: integer("inline.maxTokens", defaultSettings.inlineMaxTokens, 1, 256),
      persistTable: get("persistTable") !== false,
      busyWait: get("busyWait") !== false,
    },
    inline: {
      enabled: get("inline.enabled") !== false,
      disabledLanguages: Array.isArray(languages) ? languages.filter((language): language is string => typeof language === "string") : [],
      debounceMs: integer("inline.debounceMs", 150, 0, 2000),
    },
    checks: {
      run: CHECKS_MODES.includes(checksRun as ChecksMode) ? (checksRun as ChecksMode) : "ask",
      testCommand: typeof testCommand === "string" ? testCommand.trim() : "",
    },
  };
}

function draftShapeOf(value: unknown): DraftShapeSetting {
  return value === "chain" || value === "tree" ? value : "auto";
}
