// `npm run bench:latency`: inline completion latency through the real language server (a child
// process over stdio, the embedded model): p50/p95 from request to the items, idle in a small file
// and in a 10,000-line file (interleaved, with the ratio of each pair), and while a long solve runs
// on the other context.
// Options (--help): --requests N inline requests per measurement (default 30) and --solve-tokens N
// for the background solve (default 900); smaller values are only for a quick smoke run
// (test/cli/scripts.test.ts), the defaults are the benchmark.
import { parseArgs } from "node:util";
import { DidOpenTextDocumentNotification, InlineCompletionRequest, InlineCompletionTriggerKind } from "vscode-languageserver-protocol";
import { SolveRequest } from "../common/protocol";
import { startServer } from "../fixtures/serverProcess";

const HELP = `Usage: npm run bench:latency -- [options]
  --requests N       inline completion requests per measurement (default: 30)
  --solve-tokens N   tokens per trajectory of the solve that runs during the busy measurement (default: 900)`;

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "30" },
    "solve-tokens": { type: "string", default: "900" },
    help: { type: "boolean", default: false },
  },
});

function count(name: "requests" | "solve-tokens"): number {
  const text = values[name];
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a whole number of at least 1, not "${text}"`);
  return value;
}

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
  const server = await startServer({ settings: { inlineCandidates: 3, inlineMaxTokens: 24, trajectories: 4 } });
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
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
