// `npm start` options: parsed with node:util's parseArgs, checked, and turned into one clear
// message when something is wrong.
import { readFileSync, statSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { GpuSetting } from "../common/protocol";

/** The problem `npm start` solves when none is given. */
export const BUNDLED_PROBLEM = join(__dirname, "problems", "is-string.js.txt");

export const DEFAULTS = {
  trajectories: 4,
  temperature: 0.7,
  maxTokens: 128,
  gpu: "auto" as GpuSetting,
  repetitions: 3,
} as const;

const GPU_SETTINGS: readonly GpuSetting[] = ["auto", "cuda", "vulkan", "metal", "off"];

export const HELP = `Usage: npm start -- [options] [problem]

Solves a coding problem with N candidates on a local GGUF model through the STAND language server
(the same process and protocol VS Code uses), shows each candidate's progress live, groups the
candidates by vote, runs each against the problem's @example lines and ranks them, then measures
plain autoregressive decoding against STAND on the same prompt.

  [problem]                 code to continue, as one argument (default: the bundled problem,
                            cli/problems/is-string.js.txt)
  -f, --file PATH           read the problem from a file instead
  -m, --model PATH|hf:URI   a local .gguf file or hf:user/repo/file.gguf (downloaded once into
                            ~/.cache/stand); default: the embedded stand-code-mini model
  -n, --trajectories N      candidates decoded together, 1 to 64 (default: ${DEFAULTS.trajectories})
  -t, --temperature T       sampling temperature, 0 to 2; 0 is greedy (default: ${DEFAULTS.temperature})
      --max-tokens N        the most tokens per candidate, 1 to 8192 (default: ${DEFAULTS.maxTokens})
      --gpu MODE            auto | cuda | vulkan | metal | off (default: ${DEFAULTS.gpu}); falls back
                            to the CPU, with a note, when the backend cannot be loaded
      --seed N              sampling seed, a non-negative integer (default: random, printed);
                            STAND's draft lengths adapt to timing and change how the random
                            stream is used, so a seed does not always repeat the same candidates
      --kind code|chat      code: continue the text as code (default); chat: ask in words, for
                            models with a chat template
      --repetitions N       benchmark repetitions, medians reported, 1 to 20 (default: ${DEFAULTS.repetitions})
      --no-checks           skip running the candidates against the problem's @example lines
      --no-benchmark        skip the comparison with plain autoregressive decoding
      --json                print one JSON object (model, candidates, groups, check results,
                            statistics, benchmark rows) on stdout and nothing else
      --verbose             copy the language server's log to stderr
  -h, --help                show this help

Exit status: 0 when done, 1 when the model or the server fails, 2 for bad arguments,
130 when cancelled with Ctrl+C. Examples:
  npm start
  npm start -- -n 8 -t 0.9 --max-tokens 200
  npm start -- --file src/sum.ts --seed 7
  npm start -- --model ~/models/qwen2.5-coder-0.5b-q8_0.gguf --gpu off --kind chat "Write a function that reverses a string."`;

export interface CliOptions {
  readonly help: boolean;
  /** The text to continue (or the question, for --kind chat). */
  readonly problem: string;
  /** Where the problem came from: "bundled", "argument", or the file's path. */
  readonly problemSource: string;
  readonly languageId?: string;
  readonly kind: "code" | "chat";
  /** "" for the embedded model, else an absolute path or an hf: URI. */
  readonly model: string;
  readonly gpu: GpuSetting;
  readonly trajectories: number;
  readonly temperature: number;
  readonly maxTokens: number;
  readonly seed: number;
  /** Run the candidates against the problem's @example lines (when it has some). */
  readonly checks: boolean;
  readonly benchmark: boolean;
  readonly repetitions: number;
  readonly json: boolean;
  readonly verbose: boolean;
}

/** A mistake in the command line: printed as one line, exit status 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * Parses `npm start` arguments. Relative paths are resolved against `cwd` (npm runs scripts in the
 * package folder, so the caller passes INIT_CWD, where the user typed the command).
 */
export function parseOptions(argv: readonly string[], cwd: string, random: () => number = Math.random): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: "boolean", short: "h" },
        file: { type: "string", short: "f" },
        model: { type: "string", short: "m" },
        trajectories: { type: "string", short: "n" },
        temperature: { type: "string", short: "t" },
        "max-tokens": { type: "string" },
        gpu: { type: "string" },
        seed: { type: "string" },
        kind: { type: "string" },
        repetitions: { type: "string" },
        "no-checks": { type: "boolean" },
        "no-benchmark": { type: "boolean" },
        json: { type: "boolean" },
        verbose: { type: "boolean" },
      },
    });
  } catch (error) {
    throw new UsageError(argumentMessage(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return { ...defaultOptions(), help: true };

  const trajectories = integer(values.trajectories, "--trajectories", DEFAULTS.trajectories, 1, 64);
  const temperature = number(values.temperature, "--temperature", DEFAULTS.temperature, 0, 2);
  const maxTokens = integer(values["max-tokens"], "--max-tokens", DEFAULTS.maxTokens, 1, 8192);
  const repetitions = integer(values.repetitions, "--repetitions", DEFAULTS.repetitions, 1, 20);
  const seed = integer(values.seed, "--seed", Math.floor(random() * 2 ** 31), 0, 2 ** 32 - 1);
  const gpu = (values.gpu ?? DEFAULTS.gpu) as GpuSetting;
  if (!GPU_SETTINGS.includes(gpu)) throw new UsageError(`--gpu takes ${GPU_SETTINGS.join(", ")}, not "${values.gpu}"`);
  const kind = values.kind ?? "code";
  if (kind !== "code" && kind !== "chat") throw new UsageError(`--kind takes code or chat, not "${values.kind}"`);

  const model = modelSpec(values.model, cwd);
  let problem: string;
  let problemSource: string;
  let languageId: string | undefined;
  if (values.file !== undefined && positionals.length > 0)
    throw new UsageError("give the problem either as an argument or with --file, not both");
  if (values.file !== undefined) {
    if (!values.file.trim()) throw new UsageError("--file needs a path");
    const path = resolve(cwd, expandHome(values.file));
    problem = readProblem(path);
    problemSource = path;
    languageId = languageOf(path);
  } else if (positionals.length > 0) {
    problem = positionals.join(" ");
    problemSource = "argument";
  } else {
    problem = readProblem(BUNDLED_PROBLEM);
    problemSource = "bundled";
    languageId = languageOf(BUNDLED_PROBLEM);
  }
  if (!problem.trim()) throw new UsageError(problemSource === "argument" ? "the problem is empty" : `${problemSource} is empty`);

  return {
    help: false,
    problem,
    problemSource,
    languageId,
    kind,
    model,
    gpu,
    trajectories,
    temperature,
    maxTokens,
    seed,
    checks: values["no-checks"] !== true,
    benchmark: values["no-benchmark"] !== true,
    repetitions,
    json: values.json === true,
    verbose: values.verbose === true,
  };
}

function defaultOptions(): CliOptions {
  return {
    help: false,
    problem: "",
    problemSource: "bundled",
    kind: "code",
    model: "",
    gpu: DEFAULTS.gpu,
    trajectories: DEFAULTS.trajectories,
    temperature: DEFAULTS.temperature,
    maxTokens: DEFAULTS.maxTokens,
    seed: 0,
    checks: true,
    benchmark: true,
    repetitions: DEFAULTS.repetitions,
    json: false,
    verbose: false,
  };
}

function integer(text: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = /^\s*[+]?\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value)) throw new UsageError(`${name} takes a whole number, not "${text}"`);
  if (value < min || value > max) throw new UsageError(`${name} must be between ${min} and ${max}, not ${value}`);
  return value;
}

function number(text: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = text.trim() === "" ? NaN : Number(text);
  if (!Number.isFinite(value)) throw new UsageError(`${name} takes a number, not "${text}"`);
  if (value < min || value > max) throw new UsageError(`${name} must be between ${min} and ${max}, not ${value}`);
  return value;
}

function modelSpec(text: string | undefined, cwd: string): string {
  if (text === undefined) return "";
  if (!text.trim()) throw new UsageError("--model needs a path or an hf: URI");
  if (text.startsWith("hf:")) return text;
  return resolve(cwd, expandHome(text));
}

function expandHome(path: string): string {
  const home = process.env.HOME ?? process.env.USERPROFILE;
  if (home && (path === "~" || path.startsWith("~/"))) return join(home, path.slice(1));
  return path;
}

function readProblem(path: string): string {
  const info = statSync(path, { throwIfNoEntry: false });
  if (!info) throw new UsageError(`no problem file at ${path}`);
  if (!info.isFile()) throw new UsageError(`${path} is not a file`);
  if (info.size > 1_000_000) throw new UsageError(`${path} is too large for a problem (${info.size} bytes)`);
  return readFileSync(path, "utf8");
}

const LANGUAGES: Record<string, string> = {
  ".js": "javascript",
  ".mjs": "javascript",
  ".cjs": "javascript",
  ".jsx": "javascriptreact",
  ".ts": "typescript",
  ".mts": "typescript",
  ".cts": "typescript",
  ".tsx": "typescriptreact",
  ".py": "python",
  ".rs": "rust",
  ".go": "go",
  ".java": "java",
  ".c": "c",
  ".cpp": "cpp",
  ".cs": "csharp",
  ".rb": "ruby",
  ".php": "php",
  ".sh": "shellscript",
  ".md": "markdown",
};

/** The language of a problem file; `name.js.txt` is JavaScript (kept out of the linters' way). */
export function languageOf(path: string): string | undefined {
  const name = basename(path).replace(/\.txt$/, "");
  return LANGUAGES[extname(name).toLowerCase()];
}

/** parseArgs errors, in the same words as ours. */
function argumentMessage(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const option = /'(-[^']*)'/
    .exec(message ?? "")?.[1]
    ?.split(",")
    .at(-1)
    ?.trim()
    .split(" ")[0];
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${option ?? ""} (see --help)`.replace("  ", " ");
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return /does not take/.test(message ?? "") ? `${option ?? "an option"} takes no value` : `${option ?? "an option"} needs a value`;
    default:
      return (message ?? String(error)).split("\n")[0] ?? "";
  }
}
