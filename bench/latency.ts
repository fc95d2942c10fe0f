// `npm run bench:latency`: inline completion latency through the real language server (a child
// process over stdio, the embedded model): p50/p95 from request to the items, idle and while a
// long solve runs on the other context.
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
  const text = values[name]!;
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

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
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
  const uri = "file:///latency/config.ts";
  await server.connection.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri, languageId: "typescript", version: 1, text: DOCUMENT },
  });
  const lines = DOCUMENT.split("\n");

  const measure = async (): Promise<number[]> => {
    const latencies: number[] = [];
    for (let i = 0; i < requests; i++) {
      const line = 1 + (i % (lines.length - 2));
      const started = performance.now();
      await server.connection.sendRequest(InlineCompletionRequest.type, {
        textDocument: { uri },
        position: { line, character: lines[line]!.length },
        context: { triggerKind: InlineCompletionTriggerKind.Automatic },
      });
      latencies.push(performance.now() - started);
    }
    return latencies;
  };

  await measure(); // warm up: the inline context and the table
  const idle = await measure();
  const solving = server.connection.sendRequest(SolveRequest, {
    problem: "// An essay on sorting algorithms\n",
    kind: "code",
    maxTokens: solveTokens,
    trajectories: 4,
    progressToken: "background",
  });
  const busy = await measure();
  await solving;
  await server.stop();
  const report = (name: string, values: number[]): void =>
    console.log(
      `${name}: p50 ${percentile(values, 0.5).toFixed(0)} ms, p95 ${percentile(values, 0.95).toFixed(0)} ms (${values.length} requests, 3 candidates, ≤ 24 tokens)`,
    );
  console.log("inline completion, request to items, through the language server on the embedded model");
  report("idle", idle);
  report("while a 4-trajectory solve runs", busy);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
