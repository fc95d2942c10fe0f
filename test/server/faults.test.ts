// The fault suite: what a hostile or unlucky client, file or moment does to the built server over
// stdio (issue 16). Each case asserts a clear error and a good solve afterwards; where memory was
// the failure, the model process's resident memory is bounded.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { CancellationTokenSource } from "vscode-jsonrpc/node";
import {
  DidOpenTextDocumentNotification,
  InlineCompletionRequest,
  InlineCompletionTriggerKind,
  type InlineCompletionItem,
  type InlineCompletionList,
} from "vscode-languageserver-protocol";
import { ErrorCodes, LoadModelRequest, SolveRequest, StatusRequest, type SolveParams } from "../../common/protocol";
import { TableStore } from "../../language-server/src/tableStore";
import { deserializeTable, NgramTable, Random, serializeTable } from "../../language-server/src/stand";
import { modelProcessOf, residentBytes, startServer, type ServerHandle } from "../../fixtures/serverProcess";

const EMBEDDED = join(__dirname, "..", "..", "models", "stand-code-mini.gguf");
const INVALID_PARAMS = -32602;
const MIB = 2 ** 20;

interface ErrorLike {
  readonly code?: number;
  readonly message?: string;
}

function solveParams(overrides: Partial<SolveParams> = {}): SolveParams {
  return { problem: "function add(a, b) {\n", kind: "code", maxTokens: 8, trajectories: 2, ...overrides };
}

async function solveWorks(server: ServerHandle, trajectories = 2): Promise<void> {
  const result = await server.connection.sendRequest(SolveRequest, solveParams({ trajectories }));
  assert.equal(result.candidates.length, trajectories);
}

function itemsOf(answer: InlineCompletionList | InlineCompletionItem[] | null): InlineCompletionItem[] {
  return Array.isArray(answer) ? answer : (answer?.items ?? []);
}

/** Bytes of little-endian integers, for hand-made GGUF headers. */
const u32 = (value: number): Buffer => Buffer.from(new Uint32Array([value]).buffer);
const u64 = (value: bigint): Buffer => {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64LE(value);
  return buffer;
};
const ggufString = (value: string): Buffer => Buffer.concat([u64(BigInt(Buffer.byteLength(value))), Buffer.from(value)]);

/** A TypeScript-like file of `count` lines. */
function sourceFile(count: number): string {
  return Array.from({ length: count }, (_, i) =>
    i % 5 === 0 ? `export function step${i}(value: number): number {` : i % 5 === 4 ? "}" : `  const next${i} = value * ${i} + 1;`,
  ).join("\n");
}

describe("fault suite: one server, hostile requests and files", () => {
  const storagePath = mkdtempSync(join(tmpdir(), "stand-faults-"));
  let server: ServerHandle | undefined;
  let modelPid: number;
  const running = (): ServerHandle => server ?? assert.fail("the server did not start");
  // A local stand-in for the Hugging Face endpoint: /stand-test/not-a-model/ serves a web page.
  let hubRequests = 0;
  const modelHub = createServer((request, response) => {
    if (!request.url?.includes("/stand-test/not-a-model/")) return void response.writeHead(404).end("not found");
    hubRequests++;
    const body = Buffer.from("<!doctype html><title>Sign in to continue</title>".repeat(40));
    response.writeHead(200, { "content-type": "application/octet-stream", "content-length": body.length, "accept-ranges": "bytes" });
    response.end(request.method === "HEAD" ? undefined : body);
  });

  before(async () => {
    await new Promise<void>((resolve) => modelHub.listen(0, "127.0.0.1", resolve));
    const hub = { HF_ENDPOINT: `http://127.0.0.1:${(modelHub.address() as AddressInfo).port}` };
    server = await startServer(
      { storagePath, settings: { trajectories: 2, maxTokens: 16, inlineCandidates: 3, inlineMaxTokens: 16 } },
      hub,
    );
    assert.equal((await running().settled()).state, "ready");
    modelPid = modelProcessOf(running().server.child.pid ?? -1) ?? assert.fail("no model process behind the relay");
  });
  after(async () => {
    await server?.stop();
    modelHub.closeAllConnections();
    modelHub.close();
  });

  test("6: every malformed request is answered with InvalidParams naming the field; the server lives and solves", async () => {
    const cases: [method: string, params: unknown, field: RegExp][] = [
      [SolveRequest.method, solveParams({ temperature: "0.5" as unknown as number }), /^stand\/solve: temperature .*"0\.5"/],
      [SolveRequest.method, solveParams({ temperature: true as unknown as number }), /temperature/],
      [SolveRequest.method, solveParams({ temperature: {} as unknown as number }), /temperature/],
      [SolveRequest.method, solveParams({ trajectories: "abc" as unknown as number }), /trajectories must be a whole number from 1 to 64/],
      [SolveRequest.method, solveParams({ trajectories: 65 }), /trajectories/],
      [SolveRequest.method, solveParams({ maxTokens: -1 }), /maxTokens/],
      [SolveRequest.method, solveParams({ maxTokens: "abc" as unknown as number }), /maxTokens/],
      [SolveRequest.method, solveParams({ problem: "   " }), /problem is empty/],
      [SolveRequest.method, solveParams({ kind: "poem" as "code" }), /kind/],
      [SolveRequest.method, null, /params .*null/],
      [
        SolveRequest.method,
        solveParams({ partialResultToken: { id: 1 } as unknown as string }),
        /partialResultToken must be a string or an integer/,
      ],
      [LoadModelRequest.method, { model: 123 }, /^stand\/loadModel: model must be a string \(got 123\)/],
      ["stand/benchmark", { prompt: "" }, /prompt is empty/],
      ["stand/benchmark", { prompt: "x", trajectories: [2, "many"] }, /trajectories\.1/],
      [InlineCompletionRequest.method, { textDocument: { uri: "file:///x.ts" }, position: { line: -1, character: 0 } }, /position\.line/],
      [InlineCompletionRequest.method, { textDocument: { uri: "file:///x.ts" }, position: { line: 0 } }, /position\.character/],
      [
        InlineCompletionRequest.method,
        { textDocument: { uri: "file:///x.ts" }, position: { line: 0, character: 0 }, context: { triggerKind: 3 } },
        /context\.triggerKind/,
      ],
    ];
    for (const [method, params, field] of cases) {
      await assert.rejects(running().connection.sendRequest(method, params), (error: ErrorLike) => {
        assert.equal(error.code, INVALID_PARAMS, `${method} ${JSON.stringify(params)}: ${error.message}`);
        assert.match(error.message ?? "", field);
        return true;
      });
    }
    assert.ok(residentBytes(modelPid), "the model process is alive");
    await solveWorks(running());
  });

  test("6: an inline position past the document is clamped, and the items' range is the clamped one", async () => {
    const uri = "file:///faults/short.ts";
    const text = "const a = 1;\nconst b = ";
    await running().connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: "typescript", version: 1, text },
    });
    for (const position of [
      { line: 1_000_000, character: 0 },
      { line: 1, character: 5000 },
    ]) {
      const items = itemsOf(
        await running().connection.sendRequest(InlineCompletionRequest.type, {
          textDocument: { uri },
          position,
          context: { triggerKind: InlineCompletionTriggerKind.Invoked },
        }),
      );
      for (const item of items) assert.deepEqual(item.range, { start: { line: 1, character: 10 }, end: { line: 1, character: 10 } });
    }
  });

  test("5: a solve whose context cannot be made leaves no disposed context behind", async () => {
    await solveWorks(running(), 2);
    await assert.rejects(running().connection.sendRequest(SolveRequest.method, solveParams({ trajectories: "abc" as unknown as number })), {
      code: INVALID_PARAMS,
    });
    await solveWorks(running(), 2);
    await solveWorks(running(), 3);
    await solveWorks(running(), 2);
  });

  test("1: inline completions in a 10,000-line file have items at its start, middle and end", async () => {
    const uri = "file:///faults/long.ts";
    const text = sourceFile(10_000);
    await running().connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: "typescript", version: 1, text },
    });
    for (const line of [1, 5001, 9996]) {
      const items = itemsOf(
        await running().connection.sendRequest(InlineCompletionRequest.type, {
          textDocument: { uri },
          position: { line, character: 2 },
          context: { triggerKind: InlineCompletionTriggerKind.Invoked },
        }),
      );
      assert.ok(items.length > 0, `no items at line ${line}`);
    }
  });

  test("1: a 5 MB document does not block the server: status answers while its completion runs", async () => {
    const uri = "file:///faults/huge.ts";
    const text = sourceFile(160_000);
    assert.ok(text.length > 5 * MIB, `${text.length} characters`);
    await running().connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: "typescript", version: 1, text },
    });
    let done = false;
    const completionDone = (): boolean => done;
    const completion = running()
      .connection.sendRequest(InlineCompletionRequest.type, {
        textDocument: { uri },
        position: { line: 80_001, character: 2 },
        context: { triggerKind: InlineCompletionTriggerKind.Invoked },
      })
      .finally(() => (done = true));
    // A server that handled the whole document at once would answer no status before the
    // completion. How long either takes is bench:latency's to measure (a 10,000-line file), not this test's.
    let answeredDuring = 0;
    while (!completionDone()) {
      await running().connection.sendRequest(StatusRequest);
      if (!completionDone()) answeredDuring++;
      await delay(20);
    }
    const items = itemsOf(await completion);
    assert.ok(items.length > 0, "items in the middle of a 5 MB file");
    assert.ok(answeredDuring >= 2, `${answeredDuring} status requests were answered while the completion ran`);
  });

  test("2: crafted GGUF headers are refused at once with what is wrong, in bounded memory; the model comes back", async () => {
    const directory = mkdtempSync(join(tmpdir(), "stand-crafted-"));
    const files: [name: string, bytes: Buffer, message: RegExp][] = [
      ["counts.gguf", Buffer.concat([Buffer.from("GGUF"), u32(3), u64(2n ** 62n), u64(2n ** 62n)]), /claims 4611686018427387904 tensors/],
      [
        "strings.gguf",
        Buffer.concat([Buffer.from("GGUF"), u32(3), u64(0n), u64(1n), ggufString("tokenizer.ggml.tokens"), u32(9), u32(8), u64(2n ** 61n)]),
        /tokenizer\.ggml\.tokens claims 2305843009213693952 items/,
      ],
      ["header-only.gguf", Buffer.concat([Buffer.from("GGUF"), u32(3), u64(0n), u64(0n)]), /only a GGUF header/],
      ["version-99.gguf", Buffer.concat([Buffer.from("GGUF"), u32(99), u64(1n), u64(1n), Buffer.alloc(64)]), /GGUF version 99/],
    ];
    const before = residentBytes(modelPid) ?? 0;
    for (const [name, bytes, message] of files) {
      const path = join(directory, name);
      writeFileSync(path, bytes);
      await assert.rejects(running().connection.sendRequest(LoadModelRequest, { model: path }), (error: ErrorLike) => {
        assert.equal(error.code, ErrorCodes.CorruptModel, `${name}: ${error.message}`);
        assert.match(error.message ?? "", message);
        assert.doesNotMatch(error.message ?? "", /architecture/);
        return true;
      });
      const grown = (residentBytes(modelPid) ?? 0) - before;
      assert.ok(grown < 200 * MIB, `${name}: the model process grew by ${(grown / MIB).toFixed(0)} MiB`);
      assert.equal((await running().settled()).state, "ready");
    }
    await solveWorks(running());
  });

  test("8: an hf: download that is not a GGUF is deleted, so that a retry downloads it again", async () => {
    const downloads = join(storagePath, "models");
    for (const attempt of [1, 2]) {
      const requestsBefore = hubRequests;
      await assert.rejects(
        running().connection.sendRequest(LoadModelRequest, { model: "hf:stand-test/not-a-model/model.gguf" }),
        (error: ErrorLike) => {
          assert.equal(error.code, ErrorCodes.NotAGguf, `attempt ${attempt}: ${error.message}`);
          assert.match(error.message ?? "", /deleted/);
          return true;
        },
      );
      assert.ok(hubRequests > requestsBefore, `attempt ${attempt} asked the network`);
      const left = existsSync(downloads) ? readdirSync(downloads).filter((name) => name.endsWith(".gguf")) : [];
      assert.deepEqual(left, [], "no bad download stays cached");
      assert.equal((await running().settled()).state, "ready");
    }
    await solveWorks(running());
  });

  test("7: memory after a cancel storm returns near where it was (its contexts and sampler buffers are freed once idle)", async () => {
    const storm = async (): Promise<void> => {
      for (let i = 0; i < 25; i++) {
        const source = new CancellationTokenSource();
        const pending = running().connection.sendRequest(
          SolveRequest,
          solveParams({ problem: "// A long essay about sorting\n", maxTokens: 400, trajectories: 8 }),
          source.token,
        );
        await delay(5 + (i % 7) * 15);
        source.cancel();
        await pending.catch(() => undefined);
      }
    };
    await storm(); // the first storm warms the allocator
    await delay(3000); // the server tidies up after 2 s idle
    const before = residentBytes(modelPid) ?? 0;
    await storm();
    const during = residentBytes(modelPid) ?? 0;
    await storm();
    await storm();
    await delay(3000);
    const after = residentBytes(modelPid) ?? 0;
    const report = [before, during, after].map((bytes) => (bytes / MIB).toFixed(0)).join(" → ");
    assert.ok(after - before < 48 * MIB, `resident memory, idle → during a storm → idle after two more: ${report} MiB`);
    await solveWorks(running(), 4);
  });
});

describe("fault suite: the n-gram table file", () => {
  const storagePath = mkdtempSync(join(tmpdir(), "stand-table-faults-"));
  const store = new TableStore(join(storagePath, "tables"), () => undefined);

  test("3: a table with token ids outside the vocabulary is discarded with one log line and never saved back", async () => {
    const file = await store.fileFor(EMBEDDED);
    const table = new NgramTable({ maxEntries: 1 << 17 });
    table.restore({ key: Int32Array.of(12, 13), tokens: Int32Array.of(900_000, 14), probs: Float32Array.of(0.9, 0.1), visits: 3 });
    table.restore({ key: Int32Array.of(1), tokens: Int32Array.of(5), probs: Float32Array.of(1), visits: 3 });
    mkdirSync(join(storagePath, "tables"), { recursive: true });
    writeFileSync(file, serializeTable(table, { model: EMBEDDED }));

    const logs: string[] = [];
    const server = await startServer(
      { storagePath, settings: { trajectories: 2, maxTokens: 16 } },
      {},
      { log: (message) => logs.push(message) },
    );
    try {
      const status = await server.settled();
      assert.equal(status.state, "ready");
      assert.equal(status.table.entries, 0, "the table was discarded");
      const discarded = logs.filter((line) => line.includes("n-gram table") && line.includes("vocabulary"));
      assert.equal(discarded.length, 1, logs.join("\n"));
      await solveWorks(server);
      const uri = "file:///faults/table.ts";
      await server.connection.sendNotification(DidOpenTextDocumentNotification.type, {
        textDocument: { uri, languageId: "typescript", version: 1, text: "function add(a, b) {\n  \n}\n" },
      });
      const items = await server.connection.sendRequest(InlineCompletionRequest.type, {
        textDocument: { uri },
        position: { line: 1, character: 2 },
        context: { triggerKind: InlineCompletionTriggerKind.Invoked },
      });
      assert.ok(itemsOf(items).length > 0);
    } finally {
      await server.stop();
    }
    const saved = deserializeTable(readFileSync(file)).table;
    assert.ok(saved.size > 0 && saved.tokensBelow(4096), "what was saved back is the new table");
  });

  test("4: killed at any moment of a save, the table file is the old or the new complete table", async () => {
    // A large table, so that a save takes long enough to be interrupted.
    const file = await store.fileFor(EMBEDDED);
    const seed = new NgramTable({ maxEntries: 1 << 17 });
    const random = new Random(16);
    const token = (): number => random.nextInt(4096);
    for (let i = 0; i < 100_000; i++) {
      seed.restore({
        key: Int32Array.of(token(), token(), token()),
        tokens: Int32Array.from({ length: 10 }, token),
        probs: new Float32Array(10).fill(0.1),
        visits: 2,
      });
    }
    mkdirSync(join(storagePath, "tables"), { recursive: true });
    writeFileSync(file, serializeTable(seed, { model: EMBEDDED }));

    let interrupted = 0;
    let saveMs = 300;
    const rounds = 4;
    for (let round = 0; round < rounds; round++) {
      const previous = readFileSync(file);
      const logs: string[] = [];
      let saveStarted: () => void = () => undefined;
      const started = new Promise<void>((resolve) => (saveStarted = resolve));
      const server = await startServer(
        { storagePath, settings: { trajectories: 2, maxTokens: 24 } },
        {},
        {
          log: (message) => {
            logs.push(message);
            if (message.startsWith("saving the n-gram table")) saveStarted();
            const took = /^saved the n-gram table .* in (\d+) ms/.exec(message);
            if (took) saveMs = Number(took[1]);
          },
        },
      );
      assert.equal((await server.settled()).state, "ready");
      assert.ok(!logs.some((line) => line.includes("discarding")), `round ${round}: the table file was damaged:\n${logs.join("\n")}`);
      await solveWorks(server);
      // Even rounds save on idle, odd rounds on shutdown.
      if (round % 2 === 1) void server.connection.sendRequest("shutdown").catch(() => undefined);
      await started;
      await delay(Math.floor(((round + 0.5) / rounds) * saveMs));
      const finished = logs.some((line) => line.startsWith("saved the n-gram table"));
      server.server.kill("SIGKILL");
      await server.server.exited;
      if (!finished) interrupted++;

      const bytes = readFileSync(file);
      if (!bytes.equals(previous)) {
        const { table } = deserializeTable(bytes);
        assert.ok(table.size >= 100_000 * 0.9, `round ${round}: the new table has ${table.size} entries\n${logs.join("\n")}`);
      }
    }
    assert.ok(interrupted >= 1, "at least one kill landed in the middle of a save");
  });
});

describe("fault suite: lifecycle", () => {
  test("7: a bad Content-Length makes the server exit, so that the client restarts it", async () => {
    const server = await startServer({ settings: { trajectories: 1 } });
    await server.settled();
    const modelPid = modelProcessOf(server.server.child.pid ?? -1);
    server.server.child.stdin?.write("Content-Length: lots\r\n\r\n{}");
    const exited = await Promise.race([server.server.exited.then(() => true), delay(10_000, false)]);
    assert.ok(exited, "the server exited");
    assert.notEqual(server.server.child.exitCode, 0);
    if (modelPid) assert.equal(residentBytes(modelPid), undefined, "the model process is gone too");
    await server.stop();
  });

  test("7: the model process exits when the relay in front of it is killed", async () => {
    const server = await startServer({ settings: { trajectories: 1 } });
    await server.settled();
    const relayPid = server.server.child.pid ?? assert.fail("no relay");
    const modelPid = modelProcessOf(relayPid) ?? assert.fail("no model process");
    process.kill(relayPid, "SIGKILL");
    const deadline = performance.now() + 10_000;
    while (residentBytes(modelPid) !== undefined && performance.now() < deadline) await delay(100);
    assert.equal(residentBytes(modelPid), undefined, "the model process lived on after its relay was killed");
    await server.stop();
  });
});
