// What the server accepts: one schema per request and notification of common/protocol.ts (and of
// the standard requests it answers with its own meaning), checked where a message enters the
// server. zod rather than hand-written checks: it reports the path of every bad field, and
// `satisfies z.ZodType<…>` makes each schema agree with its interface at compile time, so the
// protocol's types stay the one description of the messages. Only the server imports this file.
import { z } from "zod";
import {
  type AcceptedCompletionParams,
  type BenchmarkParams,
  type InitializationOptions,
  type LoadModelParams,
  type RunChecksParams,
  type SolveParams,
  type StandSettings,
  type VisitedParams,
} from "./protocol";

/** The ranges of the numbers a client may send (the settings' ranges in package.json). */
export const Limits = {
  trajectories: { min: 1, max: 64 },
  temperature: { min: 0, max: 2 },
  topK: { min: 0, max: 1000 },
  topP: { min: 0, max: 1 },
  minP: { min: 0, max: 1 },
  maxTokens: { min: 1, max: 8192 },
  inlineCandidates: { min: 1, max: 8 },
  inlineMaxTokens: { min: 1, max: 256 },
  benchmarkRepetitions: { min: 1, max: 20 },
  /** A check's time (a test command's too) and memory per candidate. */
  checkTimeoutMs: { min: 1, max: 10 * 60_000 },
  checkMemoryMb: { min: 16, max: 65_536 },
  /** Seeds are 32-bit. */
  seed: { min: 0, max: 2 ** 32 - 1 },
} as const;

type Range = { readonly min: number; readonly max: number };

const wholeNumber = ({ min, max }: Range) => {
  const error = `must be a whole number from ${min} to ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
const numberIn = ({ min, max }: Range) => {
  const error = `must be a number from ${min} to ${max}`;
  return z.number({ error }).min(min, { error }).max(max, { error });
};
const atLeastZero = () => {
  const error = "must be a whole number of at least 0";
  return z.number({ error }).int({ error }).min(0, { error });
};
const text = () => z.string({ error: "must be a string" });
const nonBlank = (what: string) => text().refine((value) => value.trim().length > 0, { error: `is empty: ${what}` });
const promptKind = () => z.enum(["code", "chat"], { error: 'must be "code" or "chat"' });
/** An LSP progress token (work-done progress, partial results). */
const progressToken = z.union([z.string(), z.number().int()], { error: "must be a string or an integer" }).optional();

export const LoadModelParamsSchema = z.object({
  model: text().optional(),
  workDoneToken: progressToken,
}) satisfies z.ZodType<LoadModelParams>;

export const SolveParamsSchema = z.object({
  problem: nonBlank("select some text or type a problem"),
  kind: promptKind().optional(),
  context: text().optional(),
  languageId: text().optional(),
  trajectories: wholeNumber(Limits.trajectories).optional(),
  temperature: numberIn(Limits.temperature).optional(),
  maxTokens: wholeNumber(Limits.maxTokens).optional(),
  seed: wholeNumber(Limits.seed).optional(),
  partialResultToken: progressToken,
}) satisfies z.ZodType<SolveParams>;

export const BenchmarkParamsSchema = z.object({
  prompt: nonBlank("the benchmark needs a prompt"),
  kind: promptKind().optional(),
  trajectories: z.array(wholeNumber(Limits.trajectories), { error: "must be a list of numbers" }).min(1).max(8).optional(),
  temperatures: z.array(numberIn(Limits.temperature), { error: "must be a list of numbers" }).min(1).max(8).optional(),
  maxTokens: wholeNumber(Limits.maxTokens).optional(),
  repetitions: wholeNumber(Limits.benchmarkRepetitions).optional(),
}) satisfies z.ZodType<BenchmarkParams>;

export const RunChecksParamsSchema = z.object({
  problem: text(),
  context: text().optional(),
  kind: promptKind().optional(),
  languageId: text().optional(),
  candidates: z.array(z.object({ trajectory: wholeNumber({ min: 0, max: Limits.trajectories.max }), code: text() }), {
    error: "must be a list of candidates",
  }),
  userChecks: text().optional(),
  testCommand: z
    .object({
      command: nonBlank("the test command is empty"),
      cwd: text(),
      file: z.object({ path: text(), text: text(), selectionStart: atLeastZero(), selectionEnd: atLeastZero() }),
      timeoutMs: wholeNumber(Limits.checkTimeoutMs).optional(),
    })
    .optional(),
  timeoutMs: wholeNumber(Limits.checkTimeoutMs).optional(),
  memoryMb: wholeNumber(Limits.checkMemoryMb).optional(),
  progressToken: text().optional(),
}) satisfies z.ZodType<RunChecksParams>;

/** A place in a document (a position past the end of its line or of the document is clamped, not refused). */
const position = () => z.object({ line: atLeastZero(), character: atLeastZero() });

export const AcceptedCompletionParamsSchema = z.object({
  text: text(),
  languageId: text().optional(),
  uri: text().optional(),
  version: z.number({ error: "must be a whole number" }).int({ error: "must be a whole number" }).optional(),
  position: position().optional(),
}) satisfies z.ZodType<AcceptedCompletionParams>;

export const VisitedParamsSchema = z.object({
  uri: text(),
  line: atLeastZero(),
  character: atLeastZero().optional(),
}) satisfies z.ZodType<VisitedParams>;

/** textDocument/inlineCompletion: the fields the server reads. */
export const InlineCompletionParamsSchema = z.object({
  textDocument: z.object({ uri: text() }),
  position: position(),
  // LSP's InlineCompletionTriggerKind: 1 when the user asked (a trigger, Alt+] or Alt+[), 2 while typing.
  context: z.object({ triggerKind: z.union([z.literal(1), z.literal(2)]) }).optional(),
});

const settingSchemas = {
  model: text().transform((value) => value.trim()),
  gpu: z.enum(["auto", "cuda", "vulkan", "metal", "off"], { error: 'must be "auto", "cuda", "vulkan", "metal" or "off"' }),
  trajectories: wholeNumber(Limits.trajectories),
  temperature: numberIn(Limits.temperature),
  topK: wholeNumber(Limits.topK),
  topP: numberIn(Limits.topP),
  minP: numberIn(Limits.minP),
  maxTokens: wholeNumber(Limits.maxTokens),
  draftShape: z.enum(["auto", "chain", "tree"], { error: 'must be "auto", "chain" or "tree"' }),
  inlineCandidates: wholeNumber(Limits.inlineCandidates),
  inlineMaxTokens: wholeNumber(Limits.inlineMaxTokens),
  persistTable: z.boolean({ error: "must be true or false" }),
  busyWait: z.boolean({ error: "must be true or false" }),
} satisfies { [K in keyof StandSettings]-?: z.ZodType<StandSettings[K]> };

/**
 * Settings as a client sent them (initializationOptions or a configuration change), field by
 * field: a bad field keeps the value it had, with a message that names it, so one typo in
 * settings.json does not undo the others.
 */
export function parseSettings(incoming: unknown, current: StandSettings): { settings: StandSettings; problems: string[] } {
  if (incoming === undefined || incoming === null) return { settings: current, problems: [] };
  if (typeof incoming !== "object" || Array.isArray(incoming)) return { settings: current, problems: ["settings must be an object"] };
  const fields = incoming as Record<string, unknown>;
  const problems: string[] = [];
  const settings: Record<string, unknown> = { ...current };
  for (const [name, schema] of Object.entries(settingSchemas)) {
    if (fields[name] === undefined) continue;
    const parsed = schema.safeParse(fields[name]);
    if (parsed.success) settings[name] = parsed.data;
    else problems.push(describe(parsed.error, fields[name], name));
  }
  return { settings: settings as unknown as StandSettings, problems };
}

const flag = () => z.boolean({ error: "must be true or false" }).optional();

export const InitializationOptionsSchema = z.object({
  settings: z.unknown().optional(),
  storagePath: text().optional(),
  inline: z.object({ cache: flag(), prefetch: flag(), context: flag(), warmUp: flag() }).optional(),
}) satisfies z.ZodType<Omit<InitializationOptions, "settings">>;

/** The first problem of a failed parse: where it is, what is wrong, and what was sent. */
export function describe(error: z.ZodError, input: unknown, root = ""): string {
  const issue = error.issues[0];
  if (!issue) return `${root || "params"} is invalid`;
  const path = [root, ...issue.path.map(String)].filter(Boolean).join(".") || "params";
  return `${path} ${issue.message}${sentValue(input, issue.path)}`;
}

function sentValue(input: unknown, path: readonly PropertyKey[]): string {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== "object") return "";
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  if (value === undefined) return " (it is missing)";
  const shown = JSON.stringify(value);
  return ` (got ${shown.length > 40 ? `${shown.slice(0, 40)}…` : shown})`;
}
