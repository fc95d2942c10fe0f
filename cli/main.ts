// `npm start`: the language server end to end from a terminal. Starts the real server
// (dist/language-server.js) over stdio, waits for the model, solves a problem with N candidates
// while showing their progress, groups them by vote, and benchmarks plain autoregressive decoding
// against STAND on the same prompt in the same run.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { basename, join } from "node:path";
import { CancellationTokenSource, MessageType } from "vscode-languageserver-protocol/node";
import {
  BenchmarkRequest,
  SolvePartialResultType,
  SolveRequest,
  type BenchmarkResult,
  type ModelInfo,
  type SolveResult,
  type StandSettings,
} from "../common/protocol";
import { HELP, parseOptions, UsageError, type CliOptions } from "./options";
import { SolveProgressView } from "./progress";
import { formatBenchmark, formatGroups, formatSolveStatistics, summarise } from "./report";
import { LanguageServer, ServerError } from "./server";
import { makeStyle, useColor, type Style } from "./style";

const SERVER_SCRIPT = join(__dirname, "..", "dist", "language-server.js");
const EMBEDDED_MODEL = join(__dirname, "..", "models", "stand-code-mini.gguf");
/** LSP's "request cancelled". */
const REQUEST_CANCELLED = -32800;

export const ExitCode = { Ok: 0, Failed: 1, Usage: 2, Interrupted: 130 } as const;

/** One line on stderr, the CLI's name first. */
function fail(message: string): void {
  process.stderr.write(`stand: ${message.replace(/\s*\n\s*/g, " ").trim()}\n`);
}

/** Where hf: models are downloaded to (the editor uses its own storage folder). */
function cacheFolder(): string {
  if (process.platform === "win32") return join(process.env.LOCALAPPDATA ?? join(homedir(), "AppData", "Local"), "stand");
  if (process.platform === "darwin") return join(homedir(), "Library", "Caches", "stand");
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "stand");
}

type Phase = "starting" | "loading" | "solving" | "benchmarking" | "done";

export async function run(argv: readonly string[]): Promise<number> {
  let options: CliOptions;
  try {
    options = parseOptions(argv, process.env.INIT_CWD ?? process.cwd());
  } catch (error) {
    fail(error instanceof UsageError ? error.message : String(error));
    return ExitCode.Usage;
  }
  if (options.help) {
    process.stdout.write(`${HELP}\n`);
    return ExitCode.Ok;
  }
  if (!existsSync(SERVER_SCRIPT)) {
    fail(`${SERVER_SCRIPT} is missing: run npm run build (npm start builds it)`);
    return ExitCode.Failed;
  }

  const tty = process.stdout.isTTY === true && !options.json;
  const style = makeStyle(!options.json && useColor(process.stdout), tty);
  const say = (text = ""): void => {
    if (!options.json) process.stdout.write(`${text}\n`);
  };
  const note = (text: string): void => {
    process.stderr.write(`${makeStyle(useColor(process.stderr), false).yellow("note:")} ${text}\n`);
  };
  const started = performance.now();
  // `npm start | head`: a closed pipe ends the run quietly (the server is killed on exit).
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(ExitCode.Ok);
    throw error;
  });

  // Ctrl+C: the first cancels what is running and shuts the server down in order; a second,
  // a moment later, kills it. (npm forwards the terminal's SIGINT, so one press can arrive twice.)
  let phase: Phase = "starting";
  let interrupted = false;
  let firstInterrupt = 0;
  let server: LanguageServer | undefined;
  let view: SolveProgressView | undefined;
  let spinner: { stop(): void } | undefined;
  const cancellation = new CancellationTokenSource();
  const onInterrupt = (): void => {
    const now = performance.now();
    if (interrupted) {
      if (now - firstInterrupt < 1000) return;
      process.stderr.write("\nstand: killed the language server\n");
      server?.kill("SIGKILL");
      process.exit(ExitCode.Interrupted);
    }
    interrupted = true;
    firstInterrupt = now;
    // Stop redrawing first, so the message is not drawn over.
    view?.finish();
    spinner?.stop();
    process.stderr.write(`\nstand: cancelling${phase === "solving" ? " the solve" : ""} (Ctrl+C again to kill the server)\n`);
    cancellation.cancel();
    // The benchmark and a model load cannot be cancelled half-way: stop the server instead.
    if (phase !== "solving") void server?.stop(1000);
  };
  process.on("SIGINT", onInterrupt);
  process.on("SIGTERM", onInterrupt);

  const settings: Partial<StandSettings> = {
    model: options.model,
    gpu: options.gpu,
    trajectories: options.trajectories,
    temperature: options.temperature,
    maxTokens: options.maxTokens,
    // Every run starts from an empty n-gram table, so runs compare.
    persistTable: false,
  };

  let loadingLine = false;
  try {
    phase = "loading";
    say(
      `${style.bold("STAND")} ${style.dim(`· ${options.model ? (options.model.startsWith("hf:") ? options.model : basename(options.model)) : "the embedded stand-code-mini model"} · loading…`)}`,
    );
    server = await LanguageServer.start(
      SERVER_SCRIPT,
      { settings, storagePath: cacheFolder() },
      {
        log: (message) => {
          if (options.verbose) process.stderr.write(`[server] ${message}\n`);
        },
        message: (message, type) => {
          if (type === MessageType.Error || type === MessageType.Warning) note(message);
        },
        progress: (title, message, percentage) => {
          if (!tty || percentage === undefined) return;
          process.stdout.write(`\r${style.clearLine}${style.dim(`  ${message ?? title} ${percentage} %`)}`);
          loadingLine = true;
        },
      },
      { verbose: options.verbose },
    );
    if (interrupted) return await interruptedExit(server);
    const status = await server.modelSettled();
    if (loadingLine) process.stdout.write(`\r${style.clearLine}`);
    if (interrupted) return await interruptedExit(server);
    // An explicit --model that fails is an error, never a silent fallback to another model.
    const fellBack =
      options.model !== "" &&
      status.state === "ready" &&
      (status.error !== undefined || (status.model?.path === EMBEDDED_MODEL && options.model !== EMBEDDED_MODEL));
    if (status.state !== "ready" || !status.model || fellBack) {
      fail(
        status.error?.message ??
          (fellBack
            ? `${options.model} did not load; the server fell back to ${status.model?.path}`
            : `the model did not load (state: ${status.state})`),
      );
      await server.stop();
      return ExitCode.Failed;
    }
    const model = status.model;
    if (options.gpu !== "auto" && options.gpu !== "off" && model.backend !== options.gpu && !model.fallbackReason)
      note(`--gpu ${options.gpu}: the model runs on ${model.backend}`);
    say(`${style.dim("model")}    ${describeModel(model)}`);
    say(
      `${style.dim("problem")}  ${options.problemSource === "bundled" ? "the bundled problem, cli/problems/is-string.js.txt" : options.problemSource === "argument" ? "from the command line" : options.problemSource} ${style.dim(`(${options.kind}${options.languageId ? `, ${options.languageId}` : ""})`)}`,
    );
    say(
      `${style.dim("settings")} N = ${options.trajectories}, T = ${options.temperature}, max ${options.maxTokens} tokens, seed ${options.seed}`,
    );
    say();
    for (const line of options.problem.replace(/\s+$/, "").split("\n").slice(-16)) say(style.dim(`  │ ${line}`));
    say();

    // The solve, with live progress.
    phase = "solving";
    const progressToken = `cli-${process.pid}`;
    view = options.json
      ? undefined
      : new SolveProgressView((text) => process.stdout.write(text), {
          trajectories: options.trajectories,
          maxTokens: options.maxTokens,
          live: tty,
          style,
          columns: () => process.stdout.columns ?? 100,
          rows: () => process.stdout.rows ?? 40,
        });
    const subscription = server.connection.onProgress(SolvePartialResultType, progressToken, (partial) => {
      if (partial.type === "progress") for (const progress of partial.trajectories) view?.update(progress);
    });
    let result: SolveResult;
    try {
      result = await server.request(
        SolveRequest,
        {
          problem: options.problem,
          kind: options.kind,
          languageId: options.languageId,
          trajectories: options.trajectories,
          temperature: options.temperature,
          maxTokens: options.maxTokens,
          seed: options.seed,
          partialResultToken: progressToken,
        },
        cancellation.token,
      );
    } catch (error) {
      view?.finish();
      if (error instanceof ServerError && error.code === REQUEST_CANCELLED) {
        const partial = error.data as SolveResult | undefined;
        if (partial?.candidates)
          say(style.dim(`cancelled after ${summarise(partial).tokens} tokens in ${(partial.statistics.elapsedMs / 1000).toFixed(1)} s`));
        return await interruptedExit(server);
      }
      throw error;
    } finally {
      subscription.dispose();
    }
    view?.finish();
    if (interrupted) return await interruptedExit(server);
    say();
    say(formatGroups(result, options.problem, style));
    say();
    say(formatSolveStatistics(result, options, style));

    // Plain decoding against STAND, on the same prompt and model, now.
    let benchmark: BenchmarkResult | undefined;
    if (options.benchmark) {
      phase = "benchmarking";
      say();
      spinner = tty
        ? startSpinner(
            style,
            `Benchmarking plain autoregressive decoding against STAND (${options.repetitions} repetition${options.repetitions === 1 ? "" : "s"})…`,
          )
        : undefined;
      if (!tty)
        say(
          `Benchmarking plain autoregressive decoding against STAND (${options.repetitions} repetition${options.repetitions === 1 ? "" : "s"})…`,
        );
      try {
        benchmark = await server.request(
          BenchmarkRequest,
          {
            prompt: options.problem,
            kind: options.kind,
            trajectories: [options.trajectories],
            temperatures: [options.temperature],
            maxTokens: options.maxTokens,
            repetitions: options.repetitions,
          },
          cancellation.token,
        );
      } catch (error) {
        if (interrupted) return await interruptedExit(server);
        throw error;
      } finally {
        spinner?.stop();
      }
      if (interrupted) return await interruptedExit(server);
      say(
        formatBenchmark(
          benchmark.rows,
          { maxTokens: options.maxTokens, repetitions: options.repetitions, backend: model.backend, threads: model.threads },
          style,
        ),
      );
    }

    phase = "done";
    await server.stop();
    const elapsedMs = performance.now() - started;
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify(
          {
            problem: { source: options.problemSource, kind: options.kind, languageId: options.languageId ?? null, text: options.problem },
            settings: {
              model: options.model || null,
              gpu: options.gpu,
              trajectories: options.trajectories,
              temperature: options.temperature,
              maxTokens: options.maxTokens,
              seed: options.seed,
              repetitions: options.repetitions,
            },
            model,
            candidates: result.candidates,
            groups: result.groups,
            statistics: { ...result.statistics, perCandidate: summarise(result) },
            benchmark: benchmark ? { rows: benchmark.rows, table: benchmark.table } : null,
            elapsedMs: Math.round(elapsedMs),
          },
          null,
          2,
        )}\n`,
      );
    } else {
      say();
      say(style.dim(`done in ${(elapsedMs / 1000).toFixed(1)} s`));
    }
    return ExitCode.Ok;
  } catch (error) {
    if (tty) process.stdout.write(style.showCursor);
    if (interrupted) return await interruptedExit(server);
    fail(error instanceof Error ? error.message : String(error));
    await server?.stop(2000).catch(() => undefined);
    return ExitCode.Failed;
  } finally {
    process.removeListener("SIGINT", onInterrupt);
    process.removeListener("SIGTERM", onInterrupt);
  }
}

async function interruptedExit(server: LanguageServer | undefined): Promise<number> {
  await server?.stop(2000).catch(() => undefined);
  process.stderr.write("stand: cancelled\n");
  return ExitCode.Interrupted;
}

function describeModel(model: ModelInfo): string {
  const size = model.sizeBytes >= 1e9 ? `${(model.sizeBytes / 1e9).toFixed(1)} GB` : `${(model.sizeBytes / 1e6).toFixed(1)} MB`;
  const backend = model.backend === "cpu" ? "CPU" : `${model.backend}${model.devices.length ? ` (${model.devices.join(", ")})` : ""}`;
  return `${model.name} (${basename(model.path)}, ${size}) on ${backend}, ${model.threads} thread${model.threads === 1 ? "" : "s"}, context ${model.contextSize}`;
}

function startSpinner(style: Style, text: string): { stop(): void } {
  const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
  const started = performance.now();
  let frame = 0;
  const draw = (): void => {
    process.stdout.write(
      `\r${style.clearLine}${style.cyan(frames[frame++ % frames.length]!)} ${text} ${style.dim(`${((performance.now() - started) / 1000).toFixed(1)} s`)}`,
    );
  };
  process.stdout.write(style.hideCursor);
  draw();
  const timer = setInterval(draw, 100);
  let stopped = false;
  return {
    stop: () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      process.stdout.write(`\r${style.clearLine}${style.showCursor}`);
    },
  };
}
