// `npm run bench:latency`: inline completion latency through the real language server (a child
// process over stdio, the embedded model): p50/p95 from request to the items, idle in a small file
// and in a 10,000-line file (interleaved, with the ratio of each pair), and while a long solve runs
// on the other context (these with the completion cache off: they measure the model). Then a
// replayed editing session (bench/session/, see editingSession.ts) on one server per arm —
// without cache, prefetch and workspace context, with each, and with all — its events sent to
// the arms in turn (rotating which goes first), with each arm's latency, cache hit rate and
// prefetches, and its latency ratio to the arm without any, request by request.
// Options (--help): --requests N inline requests per measurement (default 30), --solve-tokens N
// for the background solve (default 900) and --session-steps N (default: all); smaller values are
// only for a quick smoke run (test/cli/scripts.test.ts), the defaults are the benchmark.
import { parseArgs } from "node:util";
import { DidOpenTextDocumentNotification, InlineCompletionRequest, InlineCompletionTriggerKind } from "vscode-languageserver-protocol";
import { InlineStatisticsRequest, SolveRequest, type InlineFeatures } from "../common/protocol";
import { charactersRight, loadSession, SessionReplay } from "./editingSession";
import { startServer } from "../fixtures/serverProcess";

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
  const text = values[name];
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a whole number of at least 1, not "${text}"`);
  return value;
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
function largeDocument(): string {
  const lines: string[] = [];
  for (let copy = 0; lines.length < LARGE_LINES; copy++) {
    lines.push(
      ...DOCUMENT.replace(/Config\b/g, `Config${copy}`)
        .replace(/loadConfig|formatConfig/g, (name) => `${name}${copy}`)
        .split("\n"),
    );
  }
  return lines.slice(0, LARGE_LINES).join("\n");
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
  /** Small and large file requests in pairs, each pair in alternating order, so that both see the same machine. */
  const measurePairs = async (): Promise<{ small: number[]; large: number[] }> => {
    const pairs = { small: [] as number[], large: [] as number[] };
    for (let i = 0; i < requests; i++) {
      if (i % 2 === 0) {
        pairs.small.push(await complete(small, i));
        pairs.large.push(await complete(large, i));
      } else {
        pairs.large.push(await complete(large, i));
        pairs.small.push(await complete(small, i));
      }
    }
    return pairs;
  };

  await measurePairs(); // warm up: the inline context and the table
  const idle = await measurePairs();
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
      `${name}: p50 ${percentile(values, 0.5).toFixed(0)} ms, p95 ${percentile(values, 0.95).toFixed(0)} ms (${values.length} requests, 3 candidates, ≤ 24 tokens)`,
    );
  };
  const ratios = idle.large.map((latency, i) => latency / (idle.small[i] ?? latency));
  console.log("inline completion, request to items, through the language server on the embedded model");
  report(`idle, ${small.lines.length}-line file`, idle.small);
  report(`idle, ${large.lines.length}-line file`, idle.large);
  console.log(
    `  ${large.lines.length}-line / ${small.lines.length}-line file: p50 ratio ${(percentile(idle.large, 0.5) / percentile(idle.small, 0.5)).toFixed(2)}×, paired ratios p25–p75 ${percentile(ratios, 0.25).toFixed(2)}–${percentile(ratios, 0.75).toFixed(2)}×`,
  );
  report(`while a 4-trajectory solve runs, ${small.lines.length}-line file`, busy);
  await replaySession(values["session-steps"] === undefined ? Infinity : count("session-steps"));
}

/** The arms of the replayed session: the first is the baseline. */
const ARMS: readonly { readonly name: string; readonly features: InlineFeatures }[] = [
  { name: "none", features: { cache: false, prefetch: false, context: false } },
  { name: "cache", features: { cache: true, prefetch: false, context: false } },
  { name: "cache + prefetch", features: { cache: true, prefetch: true, context: false } },
  { name: "context", features: { cache: false, prefetch: false, context: true } },
  { name: "all", features: { cache: true, prefetch: true, context: true } },
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
        `context chunks in the last prompt ${String(after.lastContext.chunks)} (${String(after.lastContext.tokens)} tokens); ` +
        `against none: mean ratio ${(mean / Math.max(1e-9, baseline.reduce((sum, latency) => sum + latency, 0) / Math.max(1, baseline.length))).toFixed(2)}×, paired ratios p25–p75 ${percentile(ratios, 0.25).toFixed(2)}–${percentile(ratios, 0.75).toFixed(2)}×`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
