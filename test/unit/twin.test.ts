// The cost twin's parts (tools/twin): half-precision and Q8_0 encoding as ggml does it, the GGUF
// header reader against node-llama-cpp's, the padding plan, and the files it writes. Whether a
// twin computes the embedded model's function is test/slow/twin.test.ts.
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { EMBEDDED_MODEL_FILE, EMBEDDED_MODEL_SOURCE_FILE } from "../../common/product";
import { floatToHalf, halfToFloat } from "../../tools/twin/float16";
import { GgufError, readHeader, rowBytes, type Header, type TensorInfo } from "../../tools/twin/gguf";
import { dequantizeRowQ8_0, quantizeRowQ8_0 } from "../../tools/twin/q8_0";
import { shapeNamed, type ModelShape } from "../../tools/twin/shapes";
import { planTwin, sourceShape, type MatrixType } from "../../tools/twin/twinPlan";
import { writeTwin } from "../../tools/twin/writeTwin";
import { string, uint32, writeGguf } from "../support/ggufFile";

const EMBEDDED_MODEL = join(__dirname, "..", "..", EMBEDDED_MODEL_FILE);
const EMBEDDED_MODEL_SOURCE = join(__dirname, "..", "..", EMBEDDED_MODEL_SOURCE_FILE);
const folder = mkdtempSync(join(tmpdir(), "stand-twin-unit-"));
after(() => {
  rmSync(folder, { recursive: true, force: true });
});

describe("half precision", () => {
  test("every half converts to a float and back to the same bits (NaNs to ggml's 0x7e00)", () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = halfToFloat(bits);
      const isNaN = (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0;
      assert.equal(floatToHalf(value), isNaN ? 0x7e00 : bits, `half 0x${bits.toString(16)}`);
    }
  });

  test("a float becomes its nearest half, ties to even, past 65504 infinity", () => {
    const cases: [number, number][] = [
      [1 + 2 ** -11, 0x3c00], // halfway between 1 and its successor: the even one
      [1 + 3 * 2 ** -11, 0x3c02],
      [-(1 + 2 ** -11 + 2 ** -20), 0xbc01], // just past halfway
      [65504, 0x7bff],
      [65519.99, 0x7bff],
      [65520, 0x7c00],
      [2 ** -24, 0x0001], // the smallest subnormal
      [2 ** -25, 0x0000], // halfway to it: the even one, zero
      [3 * 2 ** -25, 0x0002],
      [2 ** -14 - 2 ** -25, 0x0400], // rounds up into the smallest normal
      [-0, 0x8000],
    ];
    for (const [value, bits] of cases) assert.equal(floatToHalf(value), bits, String(value));
  });

  test("random floats: no other half is nearer than the one chosen", () => {
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    for (let i = 0; i < 20_000; i++) {
      const value = Math.fround(random() * 2 ** Math.floor(random() * 39 - 24)); // within ±65504
      const chosen = floatToHalf(value);
      const error = Math.abs(halfToFloat(chosen) - value);
      for (const neighbour of [chosen - 1, chosen + 1].filter((bits) => (bits & 0x7fff) < 0x7c00 && bits >= 0))
        assert.ok(error <= Math.abs(halfToFloat(neighbour) - value), `${value}: 0x${chosen.toString(16)} is not the nearest half`);
    }
  });
});

describe("Q8_0 blocks", () => {
  test("a block is a half scale (largest magnitude / 127) and 32 bytes rounded half away from zero, as ggml's reference", () => {
    const row = new Float32Array(32);
    row.set([127, -127, 2.5, -2.5, 0.5, -0.5, 0.49, 63.5]);
    const bytes = Buffer.alloc(34);
    quantizeRowQ8_0(row, bytes);
    assert.equal(bytes.readUInt16LE(0), 0x3c00, "d = 127 / 127 = 1");
    assert.deepEqual([...new Int8Array(bytes.buffer, bytes.byteOffset + 2, 8)], [127, -127, 3, -3, 1, -1, 0, 64]);
    assert.ok(bytes.subarray(10).every((byte) => byte === 0));
  });

  test("a zero block is all zero bytes, so a zero-padded region needs no writing", () => {
    const bytes = Buffer.alloc(68, 0xff);
    quantizeRowQ8_0(new Float32Array(64), bytes);
    assert.ok(bytes.every((byte) => byte === 0));
  });

  test("dequantised weights are within half a step of the originals (plus the scale's rounding to a half)", () => {
    const row = Float32Array.from({ length: 96 }, (_, i) => Math.sin(i * 1.7) * (1 + (i % 32)));
    const bytes = Buffer.alloc(rowBytes("Q8_0", 96));
    quantizeRowQ8_0(row, bytes);
    const back = dequantizeRowQ8_0(bytes, 96);
    for (let block = 0; block < 3; block++) {
      const step = halfToFloat(bytes.readUInt16LE(block * 34));
      // Weights are divided by the float32 scale and multiplied back by its half: up to 127 of their difference.
      const exactStep = Math.fround(Math.max(...row.subarray(block * 32, block * 32 + 32).map(Math.abs)) / 127);
      for (let j = 0; j < 32; j++) {
        const i = block * 32 + j;
        assert.ok(Math.abs((back[i] ?? NaN) - (row[i] ?? NaN)) <= step / 2 + 127 * Math.abs(step - exactStep) + 1e-6, `weight ${i}`);
      }
    }
  });

  test("refuses a partial block and a weight that is not finite", () => {
    assert.throws(() => {
      quantizeRowQ8_0(new Float32Array(40), Buffer.alloc(68));
    }, /whole blocks of 32/);
    assert.throws(() => {
      quantizeRowQ8_0(new Float32Array(32).fill(Infinity), Buffer.alloc(34));
    }, /not a finite number/);
  });
});

describe("GGUF header", () => {
  for (const [name, file] of [
    ["the embedded model (Q8_0)", EMBEDDED_MODEL],
    ["its F16 source", EMBEDDED_MODEL_SOURCE],
  ] as const)
    test(`reads ${name}'s header as node-llama-cpp does`, async () => {
      const header = readHeader(file);
      const { readGgufFileInfo } = await import("node-llama-cpp");
      const info = await readGgufFileInfo(file, { readTensorInfo: true });
      assert.equal(header.version, info.version);
      assert.deepEqual(
        header.tensors.map(({ name, dims, type, offset }) => ({ name, dims, type, offset })),
        (info.fullTensorInfo ?? []).map(({ name, dimensions, ggmlType, offset }) => ({
          name,
          dims: dimensions.map(Number),
          type: ggmlType,
          offset: Number(offset),
        })),
      );
      assert.equal(header.dataStart, Number(info.fullTensorInfo?.[0]?.fileOffset), "the data section starts where node-llama-cpp says");
      assert.equal(header.entries.get("llama.embedding_length")?.value, info.architectureMetadata.embedding_length);
      assert.deepEqual(header.entries.get("tokenizer.ggml.tokens")?.value, { elementType: 8, length: 4096 });
    });

  test("refuses a file that is not GGUF and one cut short, with a clear error", () => {
    const notGguf = join(folder, "not.gguf");
    writeFileSync(notGguf, "PK\u0003\u0004 a zip file");
    assert.throws(
      () => readHeader(notGguf),
      (error: Error) => error instanceof GgufError && /is not a GGUF file/.test(error.message),
    );
    const truncated = join(folder, "truncated.gguf");
    writeFileSync(truncated, readFileSync(EMBEDDED_MODEL).subarray(0, 5000));
    assert.throws(
      () => readHeader(truncated),
      (error: Error) => error instanceof GgufError && /ends inside/.test(error.message),
    );
  });
});

describe("the twin plan", () => {
  const header = readHeader(EMBEDDED_MODEL_SOURCE);
  const tiny = shapeNamed("tiny");
  const plan = planTwin(header, tiny, { matrixType: "F16", shapeName: "tiny" });
  const metadata = (key: string): unknown => plan.entries.find((entry) => entry.key === key)?.value;
  const planned = (name: string) => {
    const tensor = plan.tensors.find((candidate) => candidate.info.name === name);
    assert.ok(tensor, `no ${name}`);
    return tensor;
  };

  test("the source is the embedded model's shape", () => {
    assert.deepEqual(sourceShape(header), { embedding: 256, layers: 6, heads: 4, kvHeads: 2, headDim: 64, feedForward: 768 });
  });

  test("metadata: the twin's shape; RMSNorm epsilon × D/D′; RoPE base^(d′/d) and attn_factor (d′/d)^¼ for the longer head", () => {
    assert.equal(metadata("llama.embedding_length"), 384);
    assert.equal(metadata("llama.block_count"), 8);
    assert.equal(metadata("llama.attention.head_count"), 9);
    assert.equal(metadata("llama.attention.head_count_kv"), 3);
    assert.equal(metadata("llama.attention.key_length"), 128);
    assert.equal(metadata("llama.rope.dimension_count"), 128);
    assert.equal(metadata("llama.feed_forward_length"), 1024);
    assert.equal(metadata("llama.attention.layer_norm_rms_epsilon"), Math.fround((Math.fround(1e-5) * 256) / 384));
    assert.equal(metadata("llama.rope.freq_base"), 1e8);
    assert.equal(metadata("llama.rope.scaling.attn_factor"), Math.fround(2 ** 0.25));
    assert.equal(metadata("general.file_type"), 1);
    assert.equal(metadata("stand.twin.shape"), "tiny");
    assert.equal(metadata("tokenizer.ggml.model"), "gpt2", "everything else is copied");
    const same = planTwin(header, { ...tiny, headDim: 64 }, { matrixType: "F16", shapeName: "x" });
    assert.equal(
      same.entries.find((entry) => entry.key === "llama.rope.freq_base")?.value,
      10000,
      "a head of the same size keeps RoPE as it is",
    );
    assert.ok(!same.entries.some((entry) => entry.key === "llama.rope.scaling.attn_factor"));
  });

  test("query heads keep their key/value group (llama.cpp groups consecutive heads): 4 heads in groups of 2 go to 0, 1, 3, 4 in groups of 3", () => {
    const query = planned("blk.0.attn_q.weight");
    assert.deepEqual(query.info.dims, [384, 9 * 128]);
    assert.equal(query.fill.kind, "source");
    const rows = [0, 63, 64, 128, 191, 255].map(query.fill.targetRow);
    assert.deepEqual(rows, [0, 63, 128, 3 * 128, 3 * 128 + 63, 4 * 128 + 63]);
    const output = planned("blk.0.attn_output.weight");
    assert.equal(output.fill.kind, "source");
    assert.deepEqual(
      output.fill.segments.map(({ from, to }) => [from, to]),
      [
        [0, 0],
        [64, 128],
        [128, 384],
        [192, 512],
      ],
    );
    const key = planned("blk.0.attn_k.weight");
    if (key.fill.kind !== "source") return assert.fail("attn_k comes from the source");
    assert.deepEqual([0, 64, 127].map(key.fill.targetRow), [0, 128, 191], "key/value heads keep their index");
  });

  test("norms are scaled by √(D/D′); the extra layers have zero projections and norms of ones", () => {
    const norm = planned("blk.3.ffn_norm.weight");
    assert.equal(norm.type, "F32");
    assert.equal(norm.fill.kind === "source" && norm.fill.scale, Math.sqrt(256 / 384));
    for (const kind of ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"])
      assert.deepEqual(planned(`blk.7.${kind}.weight`).fill, { kind: "constant", value: 0 });
    assert.deepEqual(planned("blk.6.attn_norm.weight").fill, { kind: "constant", value: 1 });
    assert.equal(plan.tensors.length, 3 + 9 * 8);
  });

  test("refuses what it cannot make exactly", () => {
    const refuse = (shape: Partial<ModelShape>, pattern: RegExp, matrixType: MatrixType = "F16"): void => {
      assert.throws(() => planTwin(header, { ...tiny, ...shape }, { matrixType, shapeName: "x" }), pattern);
    };
    refuse({ embedding: 128 }, /cannot be smaller than its source: embedding 128 < 256/);
    refuse({ layers: 4 }, /layers 4 < 6/);
    refuse({ heads: 8, kvHeads: 8 }, /groups of 1 query heads per key\/value head cannot hold the source's 2/);
    refuse({ heads: 10, kvHeads: 3 }, /10 query heads do not group over 3/);
    refuse({ embedding: 400 }, /Q8_0 twin's width must be a multiple of 32/, "Q8_0");
    const gpt2 = join(folder, "gpt2.gguf");
    writeGguf(gpt2, { "general.architecture": string("gpt2"), "gpt2.embedding_length": uint32(8) }, [], 0);
    assert.throws(() => planTwin(readHeader(gpt2), tiny, { matrixType: "F16", shapeName: "x" }), /must be a llama model, not gpt2/);
    assert.throws(
      () => planTwin(readHeader(EMBEDDED_MODEL), tiny, { matrixType: "F16", shapeName: "x" }),
      /token_embd\.weight is of ggml type 8; a twin's source must be F16 or F32/,
      "the shipped Q8_0 file is not a source: its F16 original is",
    );
  });
});

describe("twin files", () => {
  const header = readHeader(EMBEDDED_MODEL_SOURCE);
  const write = (shape: ModelShape, matrixType: MatrixType, name: string): { path: string; header: Header } => {
    const path = join(folder, name);
    writeTwin(EMBEDDED_MODEL_SOURCE, header, planTwin(header, shape, { matrixType, shapeName: name }), path);
    return { path, header: readHeader(path) };
  };

  test("the shipped model is its F16 source quantised to Q8_0 at its own shape, byte for byte, under the source's name", () => {
    // One source of truth: tools/model/build.sh writes the F16 file and derives the shipped one so.
    const copy = write(sourceShape(header), "Q8_0", "source-q8_0.gguf");
    assert.ok(
      readFileSync(copy.path).equals(readFileSync(EMBEDDED_MODEL)),
      "npm run model:twin -- --shape source --type q8_0 rewrites models/stand-code-mini.gguf",
    );
    assert.equal(copy.header.entries.get("general.name")?.value, header.entries.get("general.name")?.value);
    assert.equal(copy.header.entries.get("general.file_type")?.value, 7, "llama.cpp's MOSTLY_Q8_0");
    assert.equal(copy.header.entries.has("stand.twin.shape"), false, "a copy at the source's shape is not marked a twin");
    assert.equal(write(shapeNamed("tiny"), "F16", "tiny-marked.gguf").header.entries.get("stand.twin.shape")?.value, "tiny-marked.gguf");
  });

  test("node-llama-cpp reads a twin's header: the twin's shape, every tensor where the plan put it", async () => {
    const twin = write(shapeNamed("tiny"), "F16", "tiny.gguf");
    const { readGgufFileInfo } = await import("node-llama-cpp");
    const info = await readGgufFileInfo(twin.path, { readTensorInfo: true });
    assert.equal(info.architectureMetadata.embedding_length, 384);
    assert.equal(info.architectureMetadata.block_count, 8);
    assert.equal(info.fullTensorInfo?.length, 3 + 9 * 8);
    const last = twin.header.tensors.at(-1);
    assert.ok(last);
    assert.equal(
      twin.header.fileBytes,
      twin.header.dataStart + last.offset + 2 * last.dims.reduce((a, b) => a * b, 1),
      "the file ends with the last tensor",
    );
  });

  test("Q8_0: padding keeps every block of the source: the twin's rows hold the same blocks as the model quantised at its own shape", () => {
    const sameShape = write(sourceShape(header), "Q8_0", "same-shape-q8_0.gguf");
    const twin = write(shapeNamed("tiny"), "Q8_0", "tiny-q8_0.gguf");
    const row = (file: { path: string; header: Header }, tensor: string, index: number): Buffer => {
      const info = file.header.tensors.find((candidate) => candidate.name === tensor) as TensorInfo;
      const bytes = rowBytes("Q8_0", info.dims[0] ?? 0);
      const buffer = Buffer.alloc(bytes);
      const fd = openSync(file.path, "r");
      readSync(fd, buffer, 0, bytes, file.header.dataStart + info.offset + index * bytes);
      closeSync(fd);
      return buffer;
    };
    // Query row 2·64 + 5 (head 2, dimension 5) moves to head 3 of the twin: row 3·128 + 5.
    assert.ok(
      row(twin, "blk.2.attn_q.weight", 3 * 128 + 5)
        .subarray(0, 8 * 34)
        .equals(row(sameShape, "blk.2.attn_q.weight", 2 * 64 + 5)),
    );
    assert.ok(
      row(twin, "blk.2.attn_q.weight", 3 * 128 + 5)
        .subarray(8 * 34)
        .every((byte) => byte === 0),
      "padding is zero blocks",
    );
    // attn_output row 7: head 1's two blocks (columns 64…127) move to columns 128…191 (blocks 4 and 5).
    const output = row(twin, "blk.0.attn_output.weight", 7);
    const source = row(sameShape, "blk.0.attn_output.weight", 7);
    assert.ok(output.subarray(4 * 34, 6 * 34).equals(source.subarray(2 * 34, 4 * 34)));
    assert.ok(
      row(twin, "blk.5.ffn_down.weight", 255)
        .subarray(0, 24 * 34)
        .equals(row(sameShape, "blk.5.ffn_down.weight", 255)),
    );
  });
});
