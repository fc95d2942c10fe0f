// `npm run bench:latency`: inline completion latency through the real language server (a child
// process over stdio, the embedded model): p50/p95 from request to the items, idle in a small file,
// a file whose windows are mostly full and a 10,000-line file (interleaved, with the ratio of each
// pair), and while a long solve runs
// on the other context (these with the completion cache off: they measure the model). Then, as in
// the editor, a visit (stand/visited) before the first keystroke at each new place, warm-up awaited
// or no visit (cold), in the small and the 10,000-line file, interleaved. Then a
// solve's time to its first token at N = 16 with prefix sharing (model/sharedPrefix.ts) on and
// off, in this process on the same model, the two arms interleaved. Then a
// replayed editing session (bench/session/, see editingSession.ts) on one server per arm —
// without cache, prefetch, workspace context and warm-up, with each, and with all — its events sent to
// the arms in turn (rotating which goes first), with each arm's latency, cache hit rate and
// prefetches, and its latency ratio to the arm without any, request by request.
// Options (--help): --requests N inline requests per measurement (default 30), --solve-tokens N
// for the background solve (default 900) and --session-steps N (default: all); smaller values are
// only for a quick smoke run (test/cli/scripts.test.ts), the defaults are the benchmark.
import { parseArgs } from "node:util";
import { setTimeout as delay } from "node:timers/promises";
import {
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  InlineCompletionRequest,
  InlineCompletionTriggerKind,
} from "vscode-languageserver-protocol";
import { InlineStatisticsRequest, SolveRequest, VisitedNotification, type InlineFeatures } from "../common/protocol";
import { charactersRight, loadSession, SessionReplay } from "./editingSession";
import { startServer } from "../fixtures/serverProcess";
import { join } from "node:path";
import { LlamaTarget } from "../language-server/src/model/llamaTarget";
import { ModelSession } from "../language-server/src/model/session";
import { Decoder, DraftShape, greedySampling, standDrafter } from "../language-server/src/stand";
import { numberOf } from "./optionNumbers";

const HELP = `Usage: npm run bench:latency -- [options]
  --requests N       inline completion requests per measurement (default: 30)
  --solve-tokens N   tokens per trajectory of the solve that runs during the busy measurement (default: 900)
  --session-steps N  steps of the replayed editing session (default: all of bench/session/session.json)`;

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "30" },
    "solve-tokens": { type: "string", default: "900" },
    "session-steps": { type: "string" },
    help: { type: "boolean", default: false },
  },
});

function count(name: "requests" | "solve-tokens" | "session-steps"): number {
  return numberOf(values[name] ?? "", name, { whole: true, least: 1 });
}

const SETTINGS = { inlineCandidates: 3, inlineMaxTokens: 24, trajectories: 4 };

const DOCUMENT = `import { readFile } from "node:fs/promises";

export interface Config {
  name: string;
  port: number;
}

export async function loadConfig(path: string): Promise<Config> {
  const text = await readFile(path, "utf8");
  const value = JSON.parse(text);
  return value;
}

export function formatConfig(config: Config): string {
  return \`\${config.name}:\${config.port}\`;
}
`;

/** A 10,000-line file made of the small one's functions under new names: a prompt from the whole of it would not fit the context. */
const LARGE_LINES = 10_000;
/** A file of the same text just large enough that most places' windows are full (INLINE_PROMPT_TOKENS): what any file costs past that size. */
const WINDOW_LINES = 200;
function largeDocument(size = LARGE_LINES): string {
  const lines: string[] = [];
  for (let copy = 0; lines.length < size; copy++) {
    lines.push(
      ...DOCUMENT.replace(/Config\b/g, `Config${copy}`)
        .replace(/loadConfig|formatConfig/g, (name) => `${name}${copy}`)
        .split("\n"),
    );
  }
  return lines.slice(0, size).join("\n");
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  if (values.help) {
    console.log(HELP);
    return;
  }
  const requests = count("requests");
  const solveTokens = count("solve-tokens");
  const server = await startServer({ settings: SETTINGS, inline: { cache: false } });
  const status = await server.settled();
  if (status.state !== "ready") throw new Error(`the server did not load its model: ${status.error?.message}`);
  const open = async (uri: string, text: string): Promise<string[]> => {
    await server.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: "typescript", version: 1, text },
    });
    return text.split("\n");
  };
  const small = { uri: "file:///latency/config.ts", lines: await open("file:///latency/config.ts", DOCUMENT) };
  const large = { uri: "file:///latency/large.ts", lines: await open("file:///latency/large.ts", largeDocument()) };
  const full = { uri: "file:///latency/full.ts", lines: await open("file:///latency/full.ts", largeDocument(WINDOW_LINES)) };

  /** The i-th request's latency in a document: at the end of a line, the lines taken in turn through the whole file. */
  const complete = async (document: { uri: string; lines: string[] }, i: number): Promise<number> => {
    const stride = Math.max(1, Math.floor((document.lines.length - 2) / requests));
    const line = 1 + ((i * stride) % (document.lines.length - 2));
    const started = performance.now();
    await server.connection.sendRequest(InlineCompletionRequest.type, {
      textDocument: { uri: document.uri },
      position: { line, character: document.lines[line]?.length ?? 0 },
      context: { triggerKind: InlineCompletionTriggerKind.Automatic },
    });
    return performance.now() - started;
  };
  const measure = async (): Promise<number[]> => {
    const latencies: number[] = [];
    for (let i = 0; i < requests; i++) latencies.push(await complete(small, i));
    return latencies;
  };
  /** Small, full-window and large file requests in turn, the first of each round rotating, so that all see the same machine. */
  const measurePairs = async (): Promise<{ small: number[]; full: number[]; large: number[] }> => {
    const documents = [small, full, large];
    const latencies = documents.map((): number[] => []);
    for (let i = 0; i < requests; i++) {
      for (let turn = 0; turn < documents.length; turn++) {
        const index = (i + turn) % documents.length;
        const document = documents[index];
        if (document) latencies[index]?.push(await complete(document, i));
      }
    }
    const [smallLatencies = [], fullLatencies = [], largeLatencies = []] = latencies;
    return { small: smallLatencies, full: fullLatencies, large: largeLatencies };
  };

  await measurePairs(); // warm up: the inline context and the table
  const idle = await measurePairs();
  const visited = await measureVisits(server, small, large, requests);
  const solving = server.connection.sendRequest(SolveRequest, {
    problem: "// An essay on sorting algorithms\n",
    kind: "code",
    maxTokens: solveTokens,
    trajectories: 4,
  });
  const busy = await measure();
  await solving;
  await server.stop();
  const report = (name: string, values: number[]): void => {
    console.log(
      `${name}: p50 ${percentile(values, 0.5).toFixed(0)} ms, p95 ${percentile(values, 0.95).toFixed(0)} ms (${values.length} requests, 3 candidates, ≤ 24 tokens), p25–p75 ${percentile(values, 0.25).toFixed(0)}–${percentile(values, 0.75).toFixed(0)} ms`,
    );
  };
  const compare = (name: string, values: number[], baseline: number[], baselineName: string): void => {
    const ratios = values.map((latency, i) => latency / (baseline[i] ?? latency));
    console.log(
      `  ${name} / ${baselineName}: p50 ratio ${(percentile(values, 0.5) / percentile(baseline, 0.5)).toFixed(2)}×, paired ratios p25–p75 ${percentile(ratios, 0.25).toFixed(2)}–${percentile(ratios, 0.75).toFixed(2)}×`,
    );
  };
  console.log("inline completion, request to items, through the language server on the embedded model");
  report(`idle, ${small.lines.length}-line file`, idle.small);
  report(`idle, ${full.lines.length}-line file (most windows full)`, idle.full);
  report(`idle, ${large.lines.length}-line file`, idle.large);
  compare(`${large.lines.length}-line`, idle.large, idle.small, `${small.lines.length}-line file`);
  compare(`${large.lines.length}-line`, idle.large, idle.full, `${full.lines.length}-line file`);
  report(`while a 4-trajectory solve runs, ${small.lines.length}-line file`, busy);
  console.log(
    "visit, then a space typed at the line's end and the request, at each new place (as in the editor); warm: the visit's warm-up awaited, cold: no visit; arms interleaved",
  );
  report(`  warm, ${small.lines.length}-line file`, visited.small.warm);
  report(`  cold, ${small.lines.length}-line file`, visited.small.cold);
  report(`  warm, ${large.lines.length}-line file`, visited.large.warm);
  report(`  cold, ${large.lines.length}-line file`, visited.large.cold);
  for (const arm of ["warm", "cold"] as const) {
    compare(`  ${arm}: ${large.lines.length}-line`, visited.large[arm], visited.small[arm], `${small.lines.length}-line file`);
  }
  for (const document of [small, large]) {
    const arms = document === small ? visited.small : visited.large;
    compare(`  ${document.lines.length}-line file: warm`, arms.warm, arms.cold, "cold");
  }
  console.log(
    `  warm-ups ${String(visited.warmUps.done)}: used by the request ${String(visited.warmUps.used)}, cancelled ${String(visited.warmUps.cancelled)}`,
  );
  await solveFirstToken(requests);
  await replaySession(values["session-steps"] === undefined ? Infinity : count("session-steps"));
}

interface OpenDocument {
  readonly uri: string;
  readonly lines: string[];
}

/**
 * As in the editor: the cursor comes to rest at a new place, then the user types there and the
 * request follows. Warm: the visit is sent and its warm-up awaited (the editor sends it after a
 * 1 s rest, longer than a warm-up takes); cold: no visit. Both files, both arms, `requests` each,
 * in rotating order, each at a line of its own (typed on: its text changes), the completion cache
 * off as for the idle measurement.
 */
async function measureVisits(
  server: Awaited<ReturnType<typeof startServer>>,
  small: OpenDocument,
  large: OpenDocument,
  requests: number,
): Promise<{
  small: { warm: number[]; cold: number[] };
  large: { warm: number[]; cold: number[] };
  warmUps: { done: number; used: number; cancelled: number };
}> {
  const versions = new Map<string, number>();
  const statistics = () => server.connection.sendRequest(InlineStatisticsRequest);
  const typeAndComplete = async (document: OpenDocument, place: number, visit: boolean): Promise<number> => {
    const stride = Math.max(1, Math.floor((document.lines.length - 2) / (2 * requests)));
    const line = 1 + ((place * stride) % (document.lines.length - 2));
    const character = document.lines[line]?.length ?? 0;
    if (visit) {
      const before = await statistics();
      await server.connection.sendNotification(VisitedNotification, { uri: document.uri, line, character });
      for (let poll = 0; poll < 400; poll++) {
        const now = await statistics();
        if (now.warmUps + now.warmUpsCancelled > before.warmUps + before.warmUpsCancelled) break;
        await delay(5);
      }
    }
    const version = (versions.get(document.uri) ?? 1) + 1;
    versions.set(document.uri, version);
    document.lines[line] = `${document.lines[line] ?? ""} `;
    await server.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: document.uri, version },
      contentChanges: [{ range: { start: { line, character }, end: { line, character } }, text: " " }],
    });
    const started = performance.now();
    await server.connection.sendRequest(InlineCompletionRequest.type, {
      textDocument: { uri: document.uri },
      position: { line, character: character + 1 },
      context: { triggerKind: InlineCompletionTriggerKind.Automatic },
    });
    return performance.now() - started;
  };
  const before = await statistics();
  const arms = [
    { document: small, visit: true, latencies: [] as number[] },
    { document: small, visit: false, latencies: [] as number[] },
    { document: large, visit: true, latencies: [] as number[] },
    { document: large, visit: false, latencies: [] as number[] },
  ];
  for (let i = 0; i < requests; i++) {
    for (let turn = 0; turn < arms.length; turn++) {
      const index = (i + turn) % arms.length;
      const arm = arms[index];
      // The two arms of a file take its places in turn, so that neither lands on the other's.
      if (arm) arm.latencies.push(await typeAndComplete(arm.document, 2 * i + (arm.visit ? 0 : 1), arm.visit));
    }
  }
  const after = await statistics();
  const [smallWarm, smallCold, largeWarm, largeCold] = arms.map((arm) => arm.latencies);
  return {
    small: { warm: smallWarm ?? [], cold: smallCold ?? [] },
    large: { warm: largeWarm ?? [], cold: largeCold ?? [] },
    warmUps: {
      done: after.warmUps - before.warmUps,
      used: after.warmUpsUsed - before.warmUpsUsed,
      cancelled: after.warmUpsCancelled - before.warmUpsCancelled,
    },
  };
}

/** Trajectories of the solve whose first token is timed: a large N, where every trajectory evaluating the prompt itself costs most. */
const SOLVE_TRAJECTORIES = 16;

/**
 * A solve's time to its first token at N = 16, with the prompt evaluated once and copied
 * (sharePrefixes) and by every trajectory (the arm before the change), `rounds` of each, in
 * alternating order. The prompt is the small file and a stub to complete, as a code solve sends
 * it; every sequence is emptied before each measurement, as for a new problem.
 */
async function solveFirstToken(rounds: number): Promise<void> {
  const session = await ModelSession.open({ path: join(__dirname, "..", "models", "stand-code-mini.gguf"), gpu: false });
  try {
    const prompt = await session.tokenize({ text: `${DOCUMENT}\nexport function parsePort(text: string): number {\n`, kind: "code" });
    const arms = await Promise.all(
      [true, false].map(async (sharePrefixes) => ({
        sharePrefixes,
        target: await LlamaTarget.create(session.model, {
          trajectories: SOLVE_TRAJECTORIES,
          contextSize: session.contextSize,
          threads: session.threads,
          sharePrefixes,
        }),
        latencies: [] as number[],
      })),
    );
    const firstToken = async (target: LlamaTarget): Promise<number> => {
      for (let trajectory = 0; trajectory < target.trajectories; trajectory++) await target.reset(trajectory);
      const decoder = new Decoder({ target, drafter: standDrafter(session.table), shape: DraftShape.chain(8) });
      const started = performance.now();
      let first: number | undefined;
      await decoder.decode({
        prompts: Array.from({ length: SOLVE_TRAJECTORIES }, () => prompt),
        maxTokens: 1,
        sampling: greedySampling,
        seed: 1,
        onStep: () => (first ??= performance.now() - started),
      });
      return first ?? performance.now() - started;
    };
    for (const arm of arms) await firstToken(arm.target); // warm up
    for (let round = 0; round < rounds; round++) {
      for (let turn = 0; turn < arms.length; turn++) {
        const arm = arms[(round + turn) % arms.length];
        if (arm) arm.latencies.push(await firstToken(arm.target));
      }
    }
    const [shared, unshared] = arms;
    const ratios = (shared?.latencies ?? []).map((latency, i) => latency / (unshared?.latencies[i] ?? latency));
    console.log(
      `solve, time to first token at N = ${String(SOLVE_TRAJECTORIES)}, prompt ${String(prompt.length)} tokens, in process, arms interleaved:`,
    );
    for (const arm of arms) {
      console.log(
        `  prefix sharing ${arm.sharePrefixes ? "on" : "off"}: p50 ${percentile(arm.latencies, 0.5).toFixed(0)} ms, p25–p75 ${percentile(arm.latencies, 0.25).toFixed(0)}–${percentile(arm.latencies, 0.75).toFixed(0)} ms (${String(arm.latencies.length)} solves)`,
      );
    }
    console.log(`  on / off: paired ratios p25–p50–p75 ${[0.25, 0.5, 0.75].map((q) => percentile(ratios, q).toFixed(2)).join("–")}×`);
    await Promise.all(arms.map((arm) => arm.target.dispose()));
  } finally {
    await session.dispose();
  }
}

/** The arms of the replayed session: the first is the baseline. */
const ARMS: readonly { readonly name: string; readonly features: InlineFeatures }[] = [
  { name: "none", features: { cache: false, prefetch: false, context: false, warmUp: false } },
  { name: "cache", features: { cache: true, prefetch: false, context: false, warmUp: false } },
  { name: "cache + prefetch", features: { cache: true, prefetch: true, context: false, warmUp: false } },
  { name: "context", features: { cache: false, prefetch: false, context: true, warmUp: false } },
  { name: "warm-up", features: { cache: false, prefetch: false, context: false, warmUp: true } },
  { name: "all", features: { cache: true, prefetch: true, context: true, warmUp: true } },
];

async function replaySession(steps: number): Promise<void> {
  const session = loadSession(steps);
  const arms = [];
  for (const arm of ARMS) {
    const server = await startServer({ settings: SETTINGS, inline: arm.features });
    const status = await server.settled();
    if (status.state !== "ready") throw new Error(`the server did not load its model: ${status.error?.message}`);
    const replay = new SessionReplay(server.connection, "file:///session");
    await replay.open(session);
    // Warm up: the inline context is made on the first request.
    await replay.replay({ kind: "request", file: [...session.files.keys()][0] ?? "", position: { line: 0, character: 0 } });
    arms.push({
      ...arm,
      server,
      replay,
      latencies: [] as number[],
      retyped: 0,
      charactersRight: 0,
      wholeLines: 0,
      before: await server.connection.sendRequest(InlineStatisticsRequest),
    });
  }
  const events = session.events;
  for (const [index, event] of events.entries()) {
    for (let turn = 0; turn < arms.length; turn++) {
      const arm = arms[(index + turn) % arms.length];
      const answer = await arm?.replay.replay(event);
      if (!arm || !answer) continue;
      arm.latencies.push(answer.latency);
      if (event.kind === "request" && event.expected !== undefined) {
        arm.retyped++;
        const right = charactersRight(answer.items, event.expected);
        arm.charactersRight += right;
        if (right > 0 && right === event.expected.trimEnd().length) arm.wholeLines++;
      }
    }
  }
  const baseline = arms[0]?.latencies ?? [];
  console.log(
    `replayed editing session (bench/session/session.json, ${Number.isFinite(steps) ? `${String(steps)} steps` : "all steps"}): ${String(baseline.length)} requests per arm, arms interleaved`,
  );
  for (const arm of arms) {
    const after = await arm.server.connection.sendRequest(InlineStatisticsRequest);
    await arm.server.stop();
    const requests = after.requests - arm.before.requests;
    const hits = after.cacheHits - arm.before.cacheHits;
    const ratios = arm.latencies.map((latency, i) => latency / (baseline[i] ?? latency));
    const mean = arm.latencies.reduce((sum, latency) => sum + latency, 0) / Math.max(1, arm.latencies.length);
    console.log(
      `  ${arm.name}: p50 ${percentile(arm.latencies, 0.5).toFixed(0)} ms, p95 ${percentile(arm.latencies, 0.95).toFixed(0)} ms, mean ${mean.toFixed(0)} ms; ` +
        `where a line is re-typed, the first item has the rest of it ${String(arm.wholeLines)}/${String(arm.retyped)} and ${(arm.charactersRight / Math.max(1, arm.retyped)).toFixed(1)} characters right on average; ` +
        `cache hits ${String(hits)}/${String(requests)} (${((100 * hits) / Math.max(1, requests)).toFixed(0)}%, typed through ${String(after.typedThroughHits - arm.before.typedThroughHits)}), ` +
        `prefetches ${String(after.prefetches - arm.before.prefetches)}: used ${String(after.prefetchesUsed - arm.before.prefetchesUsed)}, cancelled ${String(after.prefetchesCancelled - arm.before.prefetchesCancelled)}; ` +
        `warm-ups ${String(after.warmUps - arm.before.warmUps)}: used ${String(after.warmUpsUsed - arm.before.warmUpsUsed)}, cancelled ${String(after.warmUpsCancelled - arm.before.warmUpsCancelled)}; ` +
        `context chunks in the last prompt ${String(after.lastContext.chunks)} (${String(after.lastContext.tokens)} tokens); ` +
        `against none: mean ratio ${(mean / Math.max(1e-9, baseline.reduce((sum, latency) => sum + latency, 0) / Math.max(1, baseline.length))).toFixed(2)}×, paired ratios p25–p75 ${percentile(ratios, 0.25).toFixed(2)}–${percentile(ratios, 0.75).toFixed(2)}×`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
