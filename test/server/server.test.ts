// The language server end to end over stdio, on the embedded model.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CancellationTokenSource } from "vscode-jsonrpc/node";
import { DidOpenTextDocumentNotification, InlineCompletionRequest, InlineCompletionTriggerKind } from "vscode-languageserver-protocol";
import { BASELINE_METHOD, NATIVE_LOOKUP_METHOD, STAND_METHOD } from "../../common/benchmarkTable";
import { EMBEDDED_MODEL_FILE, EMBEDDED_MODEL_NAME } from "../../common/product";
import {
  BenchmarkRequest,
  ChecksProgressNotification,
  ErrorCodes,
  isCancelledRequest,
  LoadModelRequest,
  RunChecksRequest,
  SolvePartialResultType,
  SolveRequest,
  StatusRequest,
  type ChecksProgress,
  type SolvePartialResult,
  type SolveResult,
} from "../../common/protocol";
import { startServer, type ServerHandle } from "../../fixtures/serverProcess";
import { CodeScanner } from "../../language-server/src/code/scanner";
import { syntaxOf } from "../../language-server/src/code/syntax";
import { defined } from "../support/defined";
import { string, uint32, writeGguf } from "../support/ggufFile";

const EMBEDDED = join(__dirname, "..", "..", EMBEDDED_MODEL_FILE);

describe("language server", () => {
  const storagePath = mkdtempSync(join(tmpdir(), "stand-server-"));
  // Set by before() (and restarted by the last test); undefined when it failed.
  let started: ServerHandle | undefined;
  const server = (): ServerHandle => defined(started, "the server");
  // A local stand-in for the Hugging Face endpoint that knows no model: tests never touch the network.
  // Under /stand-test/slow/ it never answers, like a stalled download.
  const modelHub = createServer((request, response) => {
    if (!request.url?.includes("/stand-test/slow/")) response.writeHead(404).end("not found");
  });
  let hubEnv: Record<string, string>;

  before(async () => {
    await new Promise<void>((resolve) => modelHub.listen(0, "127.0.0.1", resolve));
    hubEnv = { HF_ENDPOINT: `http://127.0.0.1:${(modelHub.address() as AddressInfo).port}` };
    started = await startServer(
      { storagePath, settings: { trajectories: 4, maxTokens: 64, inlineCandidates: 4, inlineMaxTokens: 24 } },
      hubEnv,
    );
  });
  after(async () => {
    await started?.stop();
    modelHub.closeAllConnections();
    modelHub.close();
  });

  test("initialize → status: the embedded model loads on the CPU", async () => {
    const status = await server().settled();
    assert.equal(status.state, "ready", JSON.stringify(status.error));
    const model = defined(status.model, "the loaded model");
    assert.equal(model.backend, "cpu");
    assert.equal(model.fillInTheMiddle, true);
    assert.ok(model.contextSize >= 512);
  });

  test("inline completion returns several items and respects the suffix", async () => {
    const uri = "file:///work/example.ts";
    const text = "export function add(a: number, b: number): number {\n  \n}\n";
    await server().connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: "typescript", version: 1, text },
    });
    const items = await server().connection.sendRequest(InlineCompletionRequest.type, {
      textDocument: { uri },
      position: { line: 1, character: 2 },
      context: { triggerKind: InlineCompletionTriggerKind.Invoked },
    });
    const list = Array.isArray(items) ? items : (items?.items ?? []);
    const lastLine = (text: string): string => text.trimEnd().split("\n").at(-1) ?? "";
    assert.ok(list.length >= 2, `expected several items, got ${JSON.stringify(list)}`);
    const texts = list.map((item) => (typeof item.insertText === "string" ? item.insertText : item.insertText.value));
    assert.equal(new Set(texts).size, texts.length, "items are deduplicated");
    for (const completion of texts) {
      assert.ok(completion.trim().length > 0);
      assert.notEqual(lastLine(completion).trim(), "}", "the closing brace is already in the suffix");
    }
  });

  /** A solve's partial results on `token`. */
  function collectPartials(token: string): { readonly partials: { partial: SolvePartialResult }[]; readonly dispose: () => void } {
    const partials: { partial: SolvePartialResult }[] = [];
    const subscription = server().connection.onProgress(SolvePartialResultType, token, (partial) => {
      partials.push({ partial });
    });
    return {
      partials,
      dispose: () => {
        subscription.dispose();
      },
    };
  }

  test("solve streams partial results: the plan first, then coalesced spans whose concatenation is each candidate's text", async () => {
    const { partials, dispose } = collectPartials("solve-1");
    // Greedy: every trajectory writes the same text, so they all vote together.
    const result = await server().connection.sendRequest(SolveRequest, {
      problem: "function fibonacci(n) {\n",
      kind: "code",
      temperature: 0,
      trajectories: 4,
      partialResultToken: "solve-1",
    });
    dispose();
    assert.deepEqual(partials[0]?.partial, { type: "planned", plan: result.plan });
    assert.deepEqual(result.plan, { trajectories: 4, temperature: 0, maxTokens: 64, kind: "code" }, "overrides, then the settings");
    const streamed = new Map<number, string>();
    const batches = partials.slice(1);
    for (const { partial } of batches) {
      assert.equal(partial.type, "progress");
      assert.equal(
        new Set(partial.trajectories.map((progress) => progress.trajectory)).size,
        partial.trajectories.length,
        "each once a batch",
      );
      for (const progress of partial.trajectories) {
        streamed.set(progress.trajectory, (streamed.get(progress.trajectory) ?? "") + progress.spans.map((span) => span.text).join(""));
        for (const span of progress.spans) assert.ok(["draft", "model"].includes(span.origin));
      }
    }
    // Coalesced (the interval itself is unit-tested with a clock in test/unit/solveProgress.test.ts).
    assert.ok(batches.length <= result.statistics.targetCalls + 1, `${batches.length} batches for ${result.statistics.targetCalls} steps`);
    assert.equal(result.candidates.length, 4);
    for (const candidate of result.candidates) {
      assert.equal(streamed.get(candidate.trajectory), candidate.text);
      assert.ok(candidate.statistics.tokensPerCall >= 1, `every step commits a token: ${candidate.statistics.tokensPerCall}`);
    }
    assert.deepEqual(
      result.groups.map((group) => group.members),
      [[0, 1, 2, 3]],
    );
    assert.ok(result.statistics.tokensPerCall >= 4, "one batched call serves all four trajectories");
  });

  test("a solve without overrides runs with the server's settings and the model's kind", async () => {
    const result = await server().connection.sendRequest(SolveRequest, { problem: "const x = " });
    assert.deepEqual(result.plan, { trajectories: 4, temperature: 0.7, maxTokens: 64, kind: "code" }, "a base model continues code");
    assert.equal(result.candidates.length, 4);
  });

  test("a code solve of a JavaScript stub stops where the stub's block closes, and streams exactly what it keeps", async () => {
    const { partials, dispose } = collectPartials("solve-stub");
    const result = await server().connection.sendRequest(SolveRequest, {
      problem: readFileSync(join(__dirname, "..", "..", "cli", "problems", "is-string.js.txt"), "utf8"),
      kind: "code",
      languageId: "javascript",
      temperature: 0.7,
      trajectories: 4,
      maxTokens: 200,
      seed: 3,
      partialResultToken: "solve-stub",
    });
    dispose();
    const streamed = new Map<number, string>();
    for (const { partial } of partials)
      if (partial.type === "progress")
        for (const progress of partial.trajectories)
          streamed.set(progress.trajectory, (streamed.get(progress.trajectory) ?? "") + progress.spans.map((span) => span.text).join(""));
    for (const candidate of result.candidates) {
      assert.equal(streamed.get(candidate.trajectory) ?? "", candidate.text);
      // The brace that closes isString ends the answer: nothing comes after it but a `;`, `,` or
      // line comment (a candidate may also end earlier, at an end-of-text token the model samples,
      // or never close it).
      const close = closingBraceOf(candidate.text, 1);
      assert.ok(
        close === -1 || /^[\s;,]*(?:\/\/.*)?$/.test(candidate.text.slice(close + 1)),
        `nothing after the closing brace: ${JSON.stringify(candidate.text)}`,
      );
      if (candidate.finishReason !== "length") assert.ok(candidate.statistics.tokens < 200);
    }
    assert.ok(
      result.candidates.some((candidate) => candidate.finishReason === "stop" && closingBraceOf(candidate.text, 1) !== -1),
      "without the rule, every candidate runs to the token limit",
    );
  });

  test("stand/runChecks runs the candidates in processes of their own: progress per candidate, and a hung one leaves the server serving", async () => {
    const problem = readFileSync(join(__dirname, "..", "..", "cli", "problems", "is-string.js.txt"), "utf8");
    const reported: number[] = [];
    const subscription = server().connection.onNotification(ChecksProgressNotification, (progress: ChecksProgress) => {
      if (progress.progressToken === "checks-1") reported.push(progress.result.trajectory);
    });
    const result = await server().connection.sendRequest(RunChecksRequest, {
      problem,
      kind: "code",
      languageId: "javascript",
      candidates: [
        { trajectory: 0, code: "  while (true) {}\n}" },
        { trajectory: 1, code: "  return typeof value === 'string';\n}" },
      ],
      timeoutMs: 1000,
      progressToken: "checks-1",
    });
    subscription.dispose();
    assert.deepEqual(
      result.candidates.map((candidate) => candidate.status),
      ["timeout", "passed"],
    );
    assert.deepEqual(result.ranking, [1, 0]);
    assert.deepEqual(reported.sort(), [0, 1]);
    const next = await server().connection.sendRequest(SolveRequest, {
      problem: "const x = ",
      kind: "code",
      maxTokens: 4,
    });
    assert.equal(next.candidates.length, 4);
  });

  test("cancelling a solve mid-way answers RequestCancelled with the candidates so far, cut short, and the next request works", async () => {
    const source = new CancellationTokenSource();
    let firstProgress: () => void = () => undefined;
    const progressed = new Promise<void>((resolve) => (firstProgress = resolve));
    const subscription = server().connection.onProgress(SolvePartialResultType, "solve-cancel", (partial) => {
      if (partial.type === "progress") firstProgress();
    });
    const pending = server().connection.sendRequest(
      SolveRequest,
      {
        problem: "// A long essay about sorting algorithms\n",
        kind: "code",
        maxTokens: 900,
        trajectories: 4,
        partialResultToken: "solve-cancel",
      },
      source.token,
    );
    await progressed;
    source.cancel();
    let partial: SolveResult | undefined;
    await assert.rejects(pending, (error: { data?: SolveResult }) => {
      assert.ok(isCancelledRequest(error), JSON.stringify(error));
      partial = error.data;
      return true;
    });
    subscription.dispose();
    const candidates = defined(partial, "the cancelled solve's candidates so far").candidates;
    assert.equal(candidates.length, 4);
    assert.ok(
      candidates.some((candidate) => candidate.finishReason === "cancelled"),
      "the candidates still decoding were cancelled",
    );
    for (const candidate of candidates) {
      assert.notEqual(candidate.finishReason, "length", `candidate ${candidate.trajectory} ran to its 900 tokens`);
      assert.ok(candidate.statistics.tokens < 900);
    }
    const next = await server().connection.sendRequest(SolveRequest, {
      problem: "const x = ",
      kind: "code",
      maxTokens: 8,
      trajectories: 2,
    });
    assert.equal(next.candidates.length, 2);
  });

  test("stand/benchmark runs the same comparison as npm run bench and returns the table", async () => {
    const result = await server().connection.sendRequest(BenchmarkRequest, {
      prompt: "export function sum(values: number[]): number {\n",
      trajectories: [2],
      temperatures: [0],
      maxTokens: 16,
    });
    const methods = result.rows.map((row) => row.method);
    assert.ok(
      methods.includes(BASELINE_METHOD) && methods.includes(NATIVE_LOOKUP_METHOD) && methods.includes(STAND_METHOD),
      methods.join(", "),
    );
    assert.equal(result.rows.find((row) => row.method === BASELINE_METHOD)?.speedup, 1);
    for (const row of result.rows) {
      assert.equal(row.trajectories, 2);
      assert.ok(row.tokensPerSecond > 0 && row.tokensPerCall >= 1);
    }
    assert.match(result.table, /N = 2, T = 0\n.*method.*tok\/s/s);
    assert.equal(result.backend, "cpu", "the panel reads the server's STAND row by the backend");
  });

  test("each bad model gives its own error, and the server goes back to the model it had", async () => {
    const directory = mkdtempSync(join(tmpdir(), "stand-bad-models-"));
    const model = readFileSync(EMBEDDED);
    const files = {
      notGguf: join(directory, "notes.gguf"),
      truncated: join(directory, "truncated.gguf"),
      tooLarge: join(directory, "huge.gguf"),
      architecture: join(directory, "alien.gguf"),
    };
    writeFileSync(files.notGguf, "these are not the weights you are looking for");
    writeFileSync(files.truncated, model.subarray(0, Math.floor(model.length / 3)));
    writeGguf(
      files.tooLarge,
      {
        "general.architecture": string("llama"),
        "llama.context_length": uint32(4096),
        "llama.embedding_length": uint32(65536),
        "llama.block_count": uint32(80),
      },
      [{ name: "token_embd.weight", dims: [65536, 1_000_000] }],
      0,
    );
    writeGguf(files.architecture, { "general.architecture": string("stand-unknown-architecture") }, [{ name: "w", dims: [4, 4] }], 64);
    const cases: [string, number][] = [
      [join(directory, "missing.gguf"), ErrorCodes.ModelNotFound],
      [files.notGguf, ErrorCodes.NotAGguf],
      [files.truncated, ErrorCodes.CorruptModel],
      [files.tooLarge, ErrorCodes.ModelTooLarge],
      [files.architecture, ErrorCodes.UnsupportedArchitecture],
      ["hf:stand-test/does-not-exist/model.gguf", ErrorCodes.DownloadFailed],
    ];
    for (const [path, code] of cases) {
      await assert.rejects(
        server().connection.sendRequest(LoadModelRequest, { model: path }),
        (error: { code?: number; message?: string }) => {
          assert.equal(error.code, code, `${path}: ${error.message}`);
          assert.ok(error.message && error.message.length > 10);
          return true;
        },
      );
      const status = await server().connection.sendRequest(StatusRequest);
      assert.equal(status.error?.code, code);
      // The embedded model, loaded before, is being loaded again (or already is).
      assert.ok(status.state === "loading" || status.state === "ready", status.state);
    }
    const result = await server().connection.sendRequest(SolveRequest, {
      problem: "let total = 0;\n",
      kind: "code",
      maxTokens: 8,
      trajectories: 1,
    });
    assert.equal(result.candidates.length, 1);
  });

  test("a model load can be cancelled: no error is recorded and the model it had comes back", async () => {
    const cancellation = new CancellationTokenSource();
    const loading = server().connection.sendRequest(LoadModelRequest, { model: "hf:stand-test/slow/model.gguf" }, cancellation.token);
    setTimeout(() => {
      cancellation.cancel();
    }, 300);
    // The stalled download would end in a DownloadFailed error after 30 s of silence: a cancelled
    // request's error means the cancel was heard.
    await assert.rejects(loading, (error: unknown) => {
      assert.ok(isCancelledRequest(error), JSON.stringify(error));
      return true;
    });
    const status = await server().settled();
    assert.equal(status.error, undefined);
    assert.equal(status.state, "ready");
    assert.match(defined(status.model, "the model").name, new RegExp(EMBEDDED_MODEL_NAME));
  });

  test("the n-gram table persists per model, reloads, and a corrupted table file is survived", async () => {
    await server().stop();
    const tables = join(storagePath, "tables");
    const [file] = readdirSync(tables).filter((name) => name.endsWith(".stng"));
    assert.ok(file, "the table was saved on shutdown");

    started = await startServer({ storagePath, settings: { trajectories: 2, maxTokens: 16 } }, hubEnv);
    const reloaded = await started.settled();
    assert.equal(reloaded.state, "ready");
    assert.ok(reloaded.table.entries > 0, "the saved table was loaded");
    await started.stop();

    writeFileSync(join(tables, file), Buffer.from("STNG corrupted beyond repair"));
    started = await startServer({ storagePath, settings: { trajectories: 2, maxTokens: 16 } }, hubEnv);
    const survived = await started.settled();
    assert.equal(survived.state, "ready");
    assert.equal(survived.table.entries, 0, "the damaged table was ignored and a new one started");
    const result = await server().connection.sendRequest(SolveRequest, {
      problem: "let a = 1;\n",
      kind: "code",
      maxTokens: 8,
      trajectories: 2,
    });
    assert.equal(result.candidates.length, 2);
  });
});

/**
 * The `}` that closed the `open` blocks before `text` on the first line (or the text's unfinished
 * last line) that ends with none open, or -1: `} else {` closes and reopens, so its line does not
 * count. Blocks are counted by the project's lexical scanner (code/scanner.ts, tested on its own in
 * answerEnd.test.ts): a plain count took a `}` inside a template literal the model never closed for
 * the end of isString, where JavaScript, and the server, see text.
 */
function closingBraceOf(text: string, open: number): number {
  const syntax = syntaxOf("javascript") ?? assert.fail("no syntax for javascript");
  // The stub's open blocks, then the text: offsets below are into both, less the prefix.
  const prefix = "{".repeat(open);
  let depth = 0;
  let closedAt = -1;
  const endsAfterClose = (): boolean => depth === 0 && closedAt >= 0;
  const stopped = new CodeScanner(syntax).scan(prefix + text, 0, prefix.length + text.length, {
    open: () => {
      depth++;
    },
    close: (offset) => {
      if (--depth === 0) closedAt = offset - prefix.length;
      return false;
    },
    lineEnd: endsAfterClose,
  });
  return stopped !== undefined || endsAfterClose() ? closedAt : -1;
}
