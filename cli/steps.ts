// The steps of `npm start`: load the model, solve the problem, benchmark plain decoding against
// STAND. Each runs under the one cancellation token of the run (Ctrl+C) and says what cancelling
// means for it: the solve is cancelled in the server (its candidates so far come back); a model
// load or a benchmark cannot stop half-way, so the server is stopped instead. A step that ends
// cancelled throws Cancelled, whatever its work returned.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { basename, join } from "node:path";
import { MessageType, type CancellationToken, type Disposable } from "vscode-languageserver-protocol/node";
import { EMBEDDED_MODEL_FILE, EMBEDDED_MODEL_NAME } from "../common/product";
import { checksRequest } from "../common/checks";
import {
  BenchmarkRequest,
  ErrorCodes,
  isCancelledRequest,
  RunChecksRequest,
  SolvePartialResultType,
  SolveRequest,
  type BenchmarkResult,
  type ModelInfo,
  type RunChecksResult,
  type ServerStatus,
  type SolveResult,
  type StandSettings,
} from "../common/protocol";
import type { CliOptions } from "./options";
import { SolveProgressView } from "./progress";
import { summarise } from "./report";
import { LanguageServer, ServerError } from "./server";
import type { Terminal } from "./terminal";

const SERVER_SCRIPT = join(__dirname, "..", "dist", "language-server.js");
const EMBEDDED_MODEL = join(__dirname, "..", EMBEDDED_MODEL_FILE);

export interface RunContext {
  readonly options: CliOptions;
  readonly terminal: Terminal;
  /** Cancelled by the first Ctrl+C. */
  readonly token: CancellationToken;
}

/** The run was cancelled (Ctrl+C): it exits with 130 after stopping the server. */
export class Cancelled extends Error {
  override readonly name = "Cancelled";
}

/** Why the run cannot start, if the bundles have not been built. */
export function missingBuild(): string | undefined {
  return existsSync(SERVER_SCRIPT) ? undefined : `${SERVER_SCRIPT} is missing: run npm run build (npm start builds it)`;
}

/** Where hf: models are downloaded to (the editor uses its own storage folder). */
function cacheFolder(): string {
  if (process.platform === "win32") return join(process.env.LOCALAPPDATA ?? join(homedir(), "AppData", "Local"), "stand");
  if (process.platform === "darwin") return join(homedir(), "Library", "Caches", "stand");
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "stand");
}

/**
 * Runs `work`; the first Ctrl+C while it runs (or before it starts) calls `stop`, then says that
 * `what` is being cancelled. Rejects with Cancelled when the token is cancelled by the time it ends.
 */
async function cancellable<T>(context: RunContext, what: string, stop: () => void, work: () => Promise<T>): Promise<T> {
  const { token } = context;
  const subscription = whenCancelled(token, () => {
    // Stop drawing first, so the message is not drawn over.
    stop();
    process.stderr.write(`\nstand: cancelling${what ? ` ${what}` : ""} (Ctrl+C again to kill the server)\n`);
  });
  try {
    throwIfCancelled(token);
    const value = await work();
    throwIfCancelled(token);
    return value;
  } catch (error) {
    if (error instanceof Cancelled || !token.isCancellationRequested) throw error;
    throw new Cancelled("cancelled", { cause: error });
  } finally {
    subscription.dispose();
  }
}

/** Calls `listener` when the token is cancelled, or now if it is already. */
function whenCancelled(token: CancellationToken, listener: () => void): Disposable {
  if (!token.isCancellationRequested) return token.onCancellationRequested(listener);
  listener();
  return { dispose: () => undefined };
}

function throwIfCancelled(token: CancellationToken): void {
  if (token.isCancellationRequested) throw new Cancelled("cancelled");
}

export interface Loaded {
  readonly server: LanguageServer;
  readonly model: ModelInfo;
}

/** Starts the language server on the chosen model and waits until it has loaded (or failed to). */
export async function load(context: RunContext): Promise<Loaded> {
  const { options, terminal } = context;
  const { style } = terminal;
  const name = options.model
    ? options.model.startsWith("hf:")
      ? options.model
      : basename(options.model)
    : `the embedded ${EMBEDDED_MODEL_NAME} model`;
  terminal.say(`${style.bold("STAND")} ${style.dim(`· ${name} · loading…`)}`);
  const settings: Partial<StandSettings> = {
    model: options.model,
    gpu: options.gpu,
    trajectories: options.trajectories,
    temperature: options.temperature,
    maxTokens: options.maxTokens,
    // Every run starts from an empty n-gram table, so runs compare.
    persistTable: false,
  };
  const progressLine = terminal.transientLine();
  const server = await LanguageServer.start(
    SERVER_SCRIPT,
    { settings, storagePath: cacheFolder() },
    {
      log: (message) => {
        if (options.verbose) process.stderr.write(`[server] ${message}\n`);
      },
      message: (message, type) => {
        if (type === MessageType.Error || type === MessageType.Warning) terminal.note(message);
      },
      progress: (title, message, percentage) => {
        if (percentage !== undefined) progressLine.show(style.dim(`  ${message ?? title} ${percentage} %`));
      },
    },
    { verbose: options.verbose },
  );
  try {
    const status = await cancellable(
      context,
      "",
      () => void server.stop(1000),
      () => server.modelSettled(),
    );
    progressLine.clear();
    const model = loadedModel(status, options);
    if (options.gpu !== "auto" && options.gpu !== "off" && model.backend !== options.gpu && !model.fallbackReason)
      terminal.note(`--gpu ${options.gpu}: the model runs on ${model.backend}`);
    return { server, model };
  } catch (error) {
    await server.stop(2000).catch(() => undefined);
    throw error;
  }
}

/** The model the server loaded; an explicit --model that fails is an error, never a silent fallback to another model. */
function loadedModel(status: ServerStatus, options: CliOptions): ModelInfo {
  const model = status.state === "ready" ? status.model : undefined;
  if (!model) throw new Error(status.error?.message ?? `the model did not load (state: ${status.state})`);
  if (options.model !== "" && (status.error !== undefined || (model.path === EMBEDDED_MODEL && options.model !== EMBEDDED_MODEL)))
    throw new Error(status.error?.message ?? `${options.model} did not load; the server fell back to ${model.path}`);
  return model;
}

/** The solve, with live progress; a cancelled solve shows how far it got. */
export async function solve(context: RunContext, server: LanguageServer): Promise<SolveResult> {
  const { options, terminal, token } = context;
  const progressToken = `cli-${process.pid}`;
  const view = options.json
    ? undefined
    : new SolveProgressView(terminal.write, {
        trajectories: options.trajectories,
        maxTokens: options.maxTokens,
        live: terminal.live,
        style: terminal.style,
        columns: () => terminal.columns,
        rows: () => terminal.rows,
      });
  const subscription = server.connection.onProgress(SolvePartialResultType, progressToken, (partial) => {
    if (partial.type === "progress") for (const progress of partial.trajectories) view?.update(progress);
  });
  const request = async (): Promise<SolveResult> => {
    try {
      return await server.request(
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
        token,
      );
    } catch (error) {
      // The server answers a cancelled solve with the candidates so far.
      const partial = error instanceof ServerError && isCancelledRequest(error) ? (error.data as SolveResult | undefined) : undefined;
      if (partial) {
        view?.finish();
        const seconds = (partial.statistics.elapsedMs / 1000).toFixed(1);
        terminal.say(terminal.style.dim(`cancelled after ${summarise(partial).tokens} tokens in ${seconds} s`));
      }
      throw error;
    }
  };
  try {
    const stopDrawing = (): void => {
      view?.finish();
    };
    return await cancellable(context, "the solve", stopDrawing, request);
  } finally {
    view?.finish();
    subscription.dispose();
  }
}

/**
 * Each candidate run against the problem's @example lines, in a process of its own; undefined
 * when the problem has none.
 */
export async function check(context: RunContext, server: LanguageServer, result: SolveResult): Promise<RunChecksResult | undefined> {
  const { options, terminal, token } = context;
  // Quietly when it is not a terminal: most problems given on the command line have no examples.
  const spinner = terminal.live
    ? terminal.spinner("Running each candidate against the problem's @example lines…")
    : { stop: () => undefined };
  try {
    const stop = (): void => {
      spinner.stop();
    };
    return await cancellable(context, "the checks", stop, () =>
      server.request(
        RunChecksRequest,
        checksRequest({ problem: options.problem, kind: options.kind, languageId: options.languageId }, result),
        token,
      ),
    );
  } catch (error) {
    if (error instanceof ServerError && error.code === ErrorCodes.NoChecks) return undefined;
    throw error;
  } finally {
    spinner.stop();
  }
}

/** Plain decoding against STAND, on the same prompt and model, now. */
export async function benchmark(context: RunContext, server: LanguageServer): Promise<BenchmarkResult> {
  const { options, terminal, token } = context;
  const repetitions = `${options.repetitions} repetition${options.repetitions === 1 ? "" : "s"}`;
  terminal.say();
  const spinner = terminal.spinner(`Benchmarking plain autoregressive decoding against STAND (${repetitions})…`);
  const stop = (): void => {
    spinner.stop();
    void server.stop(1000);
  };
  try {
    return await cancellable(context, "", stop, () =>
      server.request(
        BenchmarkRequest,
        {
          prompt: options.problem,
          kind: options.kind,
          trajectories: [options.trajectories],
          temperatures: [options.temperature],
          maxTokens: options.maxTokens,
          repetitions: options.repetitions,
        },
        token,
      ),
    );
  } finally {
    spinner.stop();
  }
}
