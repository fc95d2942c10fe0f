// How a small llama-architecture model becomes a larger "twin" that computes exactly the same
// function at a real model's size (so that it costs what the real model costs per step):
//
// - every added weight is zero: the residual stream's extra dimensions, extra query heads, extra
//   key/value heads, the extra half of each head, extra feed-forward units; the extra layers'
//   projections are all zero, so each adds exactly 0 to the residual stream;
// - llama.cpp groups consecutive query heads per key/value head, so source head h (group size g)
//   moves to (h div g)·g′ + h mod g, and the output projection's column blocks move with it;
// - RMSNorm over D′ dimensions of which only D are non-zero sees mean(x²)·D/D′: its weights are
//   scaled by √(D/D′) and its epsilon by D/D′, which gives back exactly the source's normalisation;
// - a longer head (head size d′ > d, zeros in the extra dimensions) changes RoPE's frequencies,
//   base^(−2i/d′), and the attention scale, 1/√d′: the twin's rope.freq_base is base^(d′/d), which
//   gives every source pair i its own frequency back, and rope.scaling.attn_factor (which scales Q
//   and K after rotation) is (d′/d)^¼, which gives back the score scale 1/√d.
import {
  TENSOR_TYPES,
  ValueType,
  alignUp,
  encodeScalar,
  tensorBytes,
  tensorTypeName,
  type Entry,
  type Header,
  type TensorInfo,
  type TensorTypeName,
} from "./gguf";
import type { ModelShape } from "./shapes";

/** A run of weights copied from a source row into a twin row. */
export interface Segment {
  readonly from: number;
  readonly to: number;
  readonly length: number;
}

export type TensorFill =
  | {
      readonly kind: "source";
      readonly source: TensorInfo;
      readonly sourceType: TensorTypeName;
      /** The twin row that source row `row` becomes (increasing in `row`). */
      readonly targetRow: (row: number) => number;
      readonly segments: readonly Segment[];
      /** Every copied weight is multiplied by this (the norms' √(D/D′); 1 elsewhere). */
      readonly scale: number;
    }
  | { readonly kind: "constant"; readonly value: number };

export interface PlannedTensor {
  /** The twin's tensor: name, dims, type and offset in its data section. */
  readonly info: TensorInfo;
  readonly type: TensorTypeName;
  readonly fill: TensorFill;
}

export interface TwinPlan {
  readonly source: ModelShape;
  readonly target: ModelShape;
  readonly entries: readonly Entry[];
  readonly tensors: readonly PlannedTensor[];
  readonly alignment: number;
  /** Bytes of the data section. */
  readonly dataBytes: number;
}

export type MatrixType = "F16" | "Q8_0";

/** llama.cpp's general.file_type for a model whose matrices are all of one type. */
const FILE_TYPE: Record<MatrixType, number> = { F16: 1, Q8_0: 7 };

const ARCHITECTURE = "llama";
const LAYER_TENSOR = /^blk\.(\d+)\.(\w+)\.weight$/;
const NORMS = new Set(["attn_norm", "ffn_norm"]);

export function planTwin(header: Header, target: ModelShape, options: { matrixType: MatrixType; shapeName: string }): TwinPlan {
  const source = sourceShape(header);
  checkFits(source, target, options.matrixType);
  const { embedding: D, heads: H, kvHeads: KV, headDim: d } = source;
  const { embedding: Dt, heads: Ht, kvHeads: KVt, headDim: dt } = target;
  const group = H / KV;
  const targetGroup = Ht / KVt;
  const queryHead = (head: number): number => Math.floor(head / group) * targetGroup + (head % group);
  const prefix = (length: number): Segment[] => [{ from: 0, to: 0, length }];

  const tensors: { name: string; dims: number[]; type: TensorTypeName; fill: TensorFill }[] = [];
  const layerTensors = new Map<number, string[]>();
  for (const info of header.tensors) {
    const sourceType = tensorTypeName(info.type);
    if (sourceType !== "F32" && sourceType !== "F16")
      throw new Error(`tensor ${info.name} is of ggml type ${info.type}; a twin's source must be F16 or F32`);
    const copy = (dims: number[], targetRow: (row: number) => number, segments: Segment[], scale = 1): void => {
      tensors.push({
        name: info.name,
        dims,
        type: dims.length === 1 ? "F32" : options.matrixType,
        fill: { kind: "source", source: info, sourceType, targetRow, segments, scale },
      });
    };
    const expect = (dims: number[]): void => {
      if (info.dims.length !== dims.length || info.dims.some((dim, i) => dim !== dims[i]))
        throw new Error(`tensor ${info.name} has dims [${info.dims.join(", ")}], not [${dims.join(", ")}] as the metadata says`);
    };
    const norm = (): void => {
      expect([D]);
      copy([Dt], (row) => row, prefix(D), Math.sqrt(D / Dt));
    };
    const layer = LAYER_TENSOR.exec(info.name);
    if (!layer) {
      if (info.name === "output_norm.weight") norm();
      else if (info.name === "token_embd.weight" || info.name === "output.weight") {
        const vocabulary = info.dims[1] ?? 0;
        expect([D, vocabulary]);
        copy([Dt, vocabulary], (row) => row, prefix(D));
      } else throw new Error(`a twin cannot be made of tensor ${info.name}`);
      continue;
    }
    const index = Number(layer[1]);
    const kind = layer[2] ?? "";
    layerTensors.set(index, [...(layerTensors.get(index) ?? []), kind]);
    if (NORMS.has(kind)) norm();
    else if (kind === "attn_q") {
      expect([D, H * d]);
      copy([Dt, Ht * dt], (row) => queryHead(Math.floor(row / d)) * dt + (row % d), prefix(D));
    } else if (kind === "attn_k" || kind === "attn_v") {
      expect([D, KV * d]);
      copy([Dt, KVt * dt], (row) => Math.floor(row / d) * dt + (row % d), prefix(D));
    } else if (kind === "attn_output") {
      expect([H * d, D]);
      const heads = Array.from({ length: H }, (_, head) => ({ from: head * d, to: queryHead(head) * dt, length: d }));
      copy([Ht * dt, Dt], (row) => row, heads);
    } else if (kind === "ffn_gate" || kind === "ffn_up") {
      expect([D, source.feedForward]);
      copy([Dt, target.feedForward], (row) => row, prefix(D));
    } else if (kind === "ffn_down") {
      expect([source.feedForward, D]);
      copy([target.feedForward, Dt], (row) => row, prefix(source.feedForward));
    } else throw new Error(`a twin cannot be made of tensor ${info.name}`);
  }

  // The extra layers: the source's first layer's tensors, every projection zero (norms: ones).
  const kinds = layerTensors.get(0) ?? [];
  for (let index = 0; index < source.layers; index++) {
    if ((layerTensors.get(index) ?? []).join() !== kinds.join())
      throw new Error(`layer ${index} has tensors ${(layerTensors.get(index) ?? []).join(", ")}, layer 0 has ${kinds.join(", ")}`);
  }
  if (layerTensors.size !== source.layers)
    throw new Error(`the file has tensors of ${layerTensors.size} layers; its metadata says ${source.layers}`);
  const zeroDims: Record<string, number[]> = {
    attn_q: [Dt, Ht * dt],
    attn_k: [Dt, KVt * dt],
    attn_v: [Dt, KVt * dt],
    attn_output: [Ht * dt, Dt],
    ffn_gate: [Dt, target.feedForward],
    ffn_up: [Dt, target.feedForward],
    ffn_down: [target.feedForward, Dt],
  };
  for (let index = source.layers; index < target.layers; index++) {
    for (const kind of kinds) {
      const name = `blk.${index}.${kind}.weight`;
      if (NORMS.has(kind)) tensors.push({ name, dims: [Dt], type: "F32", fill: { kind: "constant", value: 1 } });
      else tensors.push({ name, dims: zeroDims[kind] ?? [], type: options.matrixType, fill: { kind: "constant", value: 0 } });
    }
  }

  let offset = 0;
  const planned = tensors.map(({ name, dims, type, fill }): PlannedTensor => {
    const info = { name, dims, type: TENSOR_TYPES[type].id, offset };
    offset = alignUp(offset + tensorBytes(type, dims), header.alignment);
    return { info, type, fill };
  });
  return {
    source,
    target,
    entries: twinMetadata(header, source, target, options),
    tensors: planned,
    alignment: header.alignment,
    dataBytes: offset,
  };
}

/** The source model's shape, from its metadata, refusing what a twin cannot reproduce exactly. */
export function sourceShape(header: Header): ModelShape {
  const architecture = textOf(header, "general.architecture");
  if (architecture !== ARCHITECTURE) throw new Error(`a twin's source must be a ${ARCHITECTURE} model, not ${architecture ?? "unnamed"}`);
  const embedding = integer(header, "embedding_length");
  const heads = integer(header, "attention.head_count");
  const kvHeads = integer(header, "attention.head_count_kv", heads);
  const headDim = integer(header, "attention.key_length", embedding / heads);
  if (integer(header, "attention.value_length", headDim) !== headDim)
    throw new Error("a twin's source must have keys and values of one head size");
  if (integer(header, "rope.dimension_count", headDim) !== headDim)
    throw new Error("a twin's source must rotate whole heads (rope.dimension_count = head size)");
  const scaling = textOf(header, `${ARCHITECTURE}.rope.scaling.type`);
  if (scaling !== undefined && scaling !== "none" && scaling !== "linear")
    throw new Error(`a twin cannot reproduce rope scaling "${scaling}"`);
  number(header, "attention.layer_norm_rms_epsilon");
  if (kvHeads < 1 || heads % kvHeads !== 0) throw new Error(`${heads} query heads do not group over ${kvHeads} key/value heads`);
  return {
    embedding,
    layers: integer(header, "block_count"),
    heads,
    kvHeads,
    headDim,
    feedForward: integer(header, "feed_forward_length"),
  };
}

function checkFits(source: ModelShape, target: ModelShape, matrixType: MatrixType): void {
  const smaller = (Object.keys(source) as (keyof ModelShape)[]).filter((key) => target[key] < source[key]);
  if (smaller.length > 0)
    throw new Error(
      `a twin cannot be smaller than its source: ${smaller.map((key) => `${key} ${target[key]} < ${source[key]}`).join(", ")}`,
    );
  if (target.heads % target.kvHeads !== 0)
    throw new Error(`${target.heads} query heads do not group over ${target.kvHeads} key/value heads`);
  if (target.heads / target.kvHeads < source.heads / source.kvHeads)
    throw new Error(
      `the twin's groups of ${target.heads / target.kvHeads} query heads per key/value head cannot hold the source's ${source.heads / source.kvHeads}`,
    );
  if (target.headDim % 2 !== 0) throw new Error("RoPE needs an even head size");
  if (matrixType === "Q8_0") {
    for (const [what, weights] of [
      ["width", target.embedding],
      ["feed-forward size", target.feedForward],
      ["query size", target.heads * target.headDim],
    ] as const)
      if (weights % 32 !== 0) throw new Error(`a Q8_0 twin's ${what} must be a multiple of 32, not ${weights}`);
  }
}

function twinMetadata(
  header: Header,
  source: ModelShape,
  target: ModelShape,
  options: { matrixType: MatrixType; shapeName: string },
): Entry[] {
  const key = (name: string): string => `${ARCHITECTURE}.${name}`;
  const u32 = (value: number) => ({ type: ValueType.Uint32, value });
  const f32 = (value: number) => ({ type: ValueType.Float32, value: Math.fround(value) });
  const text = (value: string) => ({ type: ValueType.String, value });
  const headRatio = target.headDim / source.headDim;
  const changes = new Map<
    string,
    { type: typeof ValueType.Uint32 | typeof ValueType.Float32 | typeof ValueType.String; value: number | string }
  >([
    ["general.name", text(`${textOf(header, "general.name") ?? "model"} twin (${options.shapeName})`)],
    ["general.file_type", u32(FILE_TYPE[options.matrixType])],
    [key("embedding_length"), u32(target.embedding)],
    [key("block_count"), u32(target.layers)],
    [key("feed_forward_length"), u32(target.feedForward)],
    [key("attention.head_count"), u32(target.heads)],
    [key("attention.head_count_kv"), u32(target.kvHeads)],
    [key("attention.key_length"), u32(target.headDim)],
    [key("attention.value_length"), u32(target.headDim)],
    [key("rope.dimension_count"), u32(target.headDim)],
    [key("rope.freq_base"), f32(number(header, "rope.freq_base", 10000) ** headRatio)],
    [
      key("attention.layer_norm_rms_epsilon"),
      f32((number(header, "attention.layer_norm_rms_epsilon") * source.embedding) / target.embedding),
    ],
    ["stand.twin.shape", text(options.shapeName)],
    ["stand.twin.source", text(textOf(header, "general.name") ?? "")],
  ]);
  // At the source's own shape nothing is padded: the file is the model itself in another matrix type
  // (how the embedded model is quantised), so it keeps its name and is not marked a twin.
  if (sameShape(source, target)) for (const name of ["general.name", "stand.twin.shape", "stand.twin.source"]) changes.delete(name);
  if (headRatio !== 1 || header.entries.has(key("rope.scaling.attn_factor")))
    changes.set(key("rope.scaling.attn_factor"), f32(number(header, "rope.scaling.attn_factor", 1) * headRatio ** 0.25));
  const entries: Entry[] = [];
  const entry = (
    name: string,
    change: { type: typeof ValueType.Uint32 | typeof ValueType.Float32 | typeof ValueType.String; value: number | string },
  ): Entry => ({
    key: name,
    type: change.type,
    value: change.value,
    encoded: encodeScalar(change.type, change.value),
  });
  for (const [name, existing] of header.entries) {
    const change = changes.get(name);
    entries.push(change ? entry(name, change) : existing);
    changes.delete(name);
  }
  for (const [name, change] of changes) entries.push(entry(name, change));
  return entries;
}

function sameShape(a: ModelShape, b: ModelShape): boolean {
  return (Object.keys(a) as (keyof ModelShape)[]).every((key) => a[key] === b[key]);
}

function textOf(header: Header, key: string): string | undefined {
  const value = header.entries.get(key)?.value;
  return typeof value === "string" ? value : undefined;
}

function integer(header: Header, name: string, fallback?: number): number {
  const value = number(header, name, fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${ARCHITECTURE}.${name} must be a positive whole number, not ${value}`);
  return value;
}

function number(header: Header, name: string, fallback?: number): number {
  const value = header.entries.get(`${ARCHITECTURE}.${name}`)?.value ?? fallback;
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new Error(`the model's ${ARCHITECTURE}.${name} is missing or not a number`);
  return value;
}
