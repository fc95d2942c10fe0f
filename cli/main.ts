// `npm start`: the language server end to end from a terminal. Starts the real server
// (dist/language-server.js) over stdio, waits for the model, solves a problem with N candidates
// while showing their progress, groups them by vote, runs them against the problem's @example lines
// and ranks them, and benchmarks plain autoregressive decoding against STAND on the same prompt in
// the same run. The steps are in steps.ts, what they print in report.ts and checksReport.ts; this
// file runs them in order and turns how they end into the exit status.
import { HELP, parseOptions, UsageError, type CliOptions } from "./options";
import { Interruption } from "./interruption";
import { formatChecks } from "./checksReport";
import { formatBenchmark, formatGroups, formatIntroduction, formatSolveStatistics, jsonReport } from "./report";
import { benchmark, Cancelled, check, load, missingBuild, solve, type RunContext } from "./steps";
import { fail, Terminal } from "./terminal";

export const ExitCode = { Ok: 0, Failed: 1, Usage: 2, Interrupted: 130 } as const;

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
  const missing = missingBuild();
  if (missing) {
    fail(missing);
    return ExitCode.Failed;
  }

  const terminal = new Terminal(options.json);
  // `npm start | head`: a closed pipe ends the run quietly (the server is killed on exit).
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(ExitCode.Ok);
    throw error;
  });
  // A second Ctrl+C: exit now; the server, started as our child, is killed on exit.
  const interruption = new Interruption(() => {
    process.stderr.write("\nstand: killed the language server\n");
    process.exit(ExitCode.Interrupted);
  });
  const context: RunContext = { options, terminal, token: interruption.token };
  try {
    return await runSteps(context);
  } catch (error) {
    terminal.restoreCursor();
    if (error instanceof Cancelled) {
      process.stderr.write("stand: cancelled\n");
      return ExitCode.Interrupted;
    }
    fail(error instanceof Error ? error.message : String(error));
    return ExitCode.Failed;
  } finally {
    interruption.dispose();
  }
}

/** Load, solve, check, benchmark and report; the server is stopped however they end. */
async function runSteps(context: RunContext): Promise<number> {
  const { options, terminal } = context;
  const started = performance.now();
  const { server, model } = await load(context);
  try {
    terminal.say(formatIntroduction(options, model, terminal.style));
    const result = await solve(context, server);
    terminal.say();
    terminal.say(formatGroups(result, options.problem, terminal.style));
    terminal.say();
    terminal.say(formatSolveStatistics(result, options, terminal.style));
    const checked = options.checks ? await check(context, server, result) : undefined;
    if (checked) terminal.say(`\n${formatChecks(checked, result, options.problem, terminal.style)}`);
    const compared = options.benchmark ? await benchmark(context, server) : undefined;
    if (compared)
      terminal.say(formatBenchmark(compared.rows, { ...options, backend: model.backend, threads: model.threads }, terminal.style));
    await server.stop();
    const elapsedMs = performance.now() - started;
    if (options.json) process.stdout.write(`${jsonReport(options, model, result, checked, compared, elapsedMs)}\n`);
    else terminal.say(`\n${terminal.style.dim(`done in ${(elapsedMs / 1000).toFixed(1)} s`)}`);
    return ExitCode.Ok;
  } finally {
    await server.stop(2000).catch(() => undefined);
  }
}
