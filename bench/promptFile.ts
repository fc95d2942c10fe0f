// A benchmark prompt file: one JSON object per line, {"prompt": string, "kind": "code" | "chat"}.
import { readFileSync } from "node:fs";
import type { PromptKind } from "../language-server/src/model/prompt";

export interface BenchmarkPrompt {
  readonly text: string;
  readonly kind: PromptKind;
}

/** The file's prompts, in order; a line that is not such an object is refused with its number. */
export function readPrompts(file: string): BenchmarkPrompt[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim())
    .map((line, i) => {
      const parsed = JSON.parse(line) as { prompt?: unknown; kind?: unknown };
      if (typeof parsed.prompt !== "string" || (parsed.kind !== "code" && parsed.kind !== "chat")) {
        throw new Error(`${file}:${i + 1}: expected {"prompt": string, "kind": "code" | "chat"}`);
      }
      return { text: parsed.prompt, kind: parsed.kind };
    });
}
