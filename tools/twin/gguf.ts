// The GGUF container (ggml/include/gguf.h): magic "GGUF", version, tensor and key counts, the
// key-value metadata, the tensor infos, then the tensor data from an aligned start. This reads a
// header exactly (every entry keeps its encoded bytes, so one can be copied unchanged) and
// encodes one. A model file is untrusted input: every length and offset is checked before use.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

export const ValueType = {
  Uint8: 0,
  Int8: 1,
  Uint16: 2,
  Int16: 3,
  Uint32: 4,
  Int32: 5,
  Float32: 6,
  Bool: 7,
  String: 8,
  Array: 9,
  Uint64: 10,
  Int64: 11,
  Float64: 12,
} as const;
export type ValueType = (typeof ValueType)[keyof typeof ValueType];

/** The ggml tensor types the twin reads or writes, with their block sizes (weights) and bytes per block. */
export const TENSOR_TYPES = {
  F32: { id: 0, blockWeights: 1, blockBytes: 4 },
  F16: { id: 1, blockWeights: 1, blockBytes: 2 },
  Q8_0: { id: 8, blockWeights: 32, blockBytes: 34 },
} as const;
export type TensorTypeName = keyof typeof TENSOR_TYPES;

export function tensorTypeName(id: number): TensorTypeName | undefined {
  return (Object.keys(TENSOR_TYPES) as TensorTypeName[]).find((name) => TENSOR_TYPES[name].id === id);
}

/** Bytes of one row of `weights` weights of a type. */
export function rowBytes(type: TensorTypeName, weights: number): number {
  const { blockWeights, blockBytes } = TENSOR_TYPES[type];
  if (weights % blockWeights !== 0) throw new Error(`a ${type} row holds whole blocks of ${blockWeights} weights, not ${weights}`);
  return (weights / blockWeights) * blockBytes;
}

/** Bytes of a tensor of a type with dims (ggml's ne: rows of dims[0] weights). */
export function tensorBytes(type: TensorTypeName, dims: readonly number[]): number {
  return rowBytes(type, dims[0] ?? 1) * dims.slice(1).reduce((a, b) => a * b, 1);
}

/** A scalar's value; an array's element type and length (its elements stay in `encoded`). */
export type Value = number | bigint | boolean | string | { readonly elementType: number; readonly length: number };

export interface Entry {
  readonly key: string;
  readonly type: number;
  readonly value: Value;
  /** The value as the file holds it: its type, then its data. */
  readonly encoded: Buffer;
}

export interface TensorInfo {
  readonly name: string;
  /** ggml's ne: dims[0] is the innermost (contiguous) dimension. */
  readonly dims: readonly number[];
  readonly type: number;
  /** From the start of the data section. */
  readonly offset: number;
}

export interface Header {
  readonly version: number;
  readonly entries: ReadonlyMap<string, Entry>;
  readonly tensors: readonly TensorInfo[];
  readonly alignment: number;
  /** Where the data section starts in the file. */
  readonly dataStart: number;
  readonly fileBytes: number;
}

export class GgufError extends Error {
  override readonly name = "GgufError";
}

const SCALAR_BYTES: Readonly<Partial<Record<number, number>>> = {
  [ValueType.Uint8]: 1,
  [ValueType.Int8]: 1,
  [ValueType.Bool]: 1,
  [ValueType.Uint16]: 2,
  [ValueType.Int16]: 2,
  [ValueType.Uint32]: 4,
  [ValueType.Int32]: 4,
  [ValueType.Float32]: 4,
  [ValueType.Uint64]: 8,
  [ValueType.Int64]: 8,
  [ValueType.Float64]: 8,
};
const MAX_DIMS = 4;

/** Reads a file's bytes from the start, on demand, never past its end. */
class Cursor {
  private buffer = Buffer.alloc(0);
  position = 0;
  constructor(
    private readonly fd: number,
    readonly fileBytes: number,
    private readonly path: string,
  ) {}

  take(bytes: number, what: string): Buffer {
    const end = this.position + bytes;
    if (!Number.isSafeInteger(end) || end > this.fileBytes) throw new GgufError(`${this.path}: the file ends inside ${what}`);
    if (end > this.buffer.length) {
      const grown = Buffer.alloc(Math.min(this.fileBytes, Math.max(end, 2 * this.buffer.length, 1 << 16)));
      this.buffer.copy(grown);
      const from = this.buffer.length;
      if (readSync(this.fd, grown, from, grown.length - from, from) !== grown.length - from)
        throw new GgufError(`${this.path}: short read`);
      this.buffer = grown;
    }
    const bytesRead = this.buffer.subarray(this.position, end);
    this.position = end;
    return bytesRead;
  }

  /** What was read from `start` to here (a view: copy it to keep it). */
  bytesSince(start: number): Buffer {
    return this.buffer.subarray(start, this.position);
  }

  u32(what: string): number {
    return this.take(4, what).readUInt32LE(0);
  }

  /** A u64 that must be a safe integer (a count, a length, a dimension, an offset). */
  count(what: string): number {
    const value = this.take(8, what).readBigUInt64LE(0);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new GgufError(`${this.path}: ${what} is too large (${value})`);
    return Number(value);
  }

  string(what: string): string {
    const length = this.count(`the length of ${what}`);
    return this.take(length, what).toString("utf8");
  }
}

/** Reads and checks a GGUF file's header (metadata and tensor infos), not its tensor data. */
export function readHeader(path: string): Header {
  const fd = openSync(path, "r");
  try {
    const cursor = new Cursor(fd, fstatSync(fd).size, path);
    if (cursor.take(4, "the magic").toString("latin1") !== "GGUF") throw new GgufError(`${path} is not a GGUF file`);
    const version = cursor.u32("the version");
    if (version !== 2 && version !== 3) throw new GgufError(`${path}: GGUF version ${version} is not supported (2 or 3 is)`);
    const tensorCount = cursor.count("the tensor count");
    const entryCount = cursor.count("the metadata count");
    const entries = new Map<string, Entry>();
    for (let i = 0; i < entryCount; i++) {
      const key = cursor.string(`metadata key ${i}`);
      const start = cursor.position;
      const type = cursor.u32(`the type of ${key}`);
      const value = readValue(cursor, type, key);
      if (entries.has(key)) throw new GgufError(`${path}: metadata key ${key} appears twice`);
      entries.set(key, { key, type, value, encoded: Buffer.from(cursor.bytesSince(start)) });
    }
    const tensors: TensorInfo[] = [];
    for (let i = 0; i < tensorCount; i++) {
      const name = cursor.string(`tensor name ${i}`);
      const dimCount = cursor.u32(`the dimension count of ${name}`);
      if (dimCount < 1 || dimCount > MAX_DIMS) throw new GgufError(`${path}: tensor ${name} has ${dimCount} dimensions`);
      const dims = Array.from({ length: dimCount }, () => cursor.count(`a dimension of ${name}`));
      if (dims.some((dim) => dim < 1)) throw new GgufError(`${path}: tensor ${name} has an empty dimension`);
      tensors.push({ name, dims, type: cursor.u32(`the type of ${name}`), offset: cursor.count(`the offset of ${name}`) });
    }
    const alignmentEntry = entries.get("general.alignment");
    const alignment = alignmentEntry === undefined ? 32 : alignmentEntry.value;
    if (typeof alignment !== "number" || alignment < 1 || (alignment & (alignment - 1)) !== 0)
      throw new GgufError(`${path}: general.alignment must be a power of two`);
    const dataStart = alignUp(cursor.position, alignment);
    return { version, entries, tensors, alignment, dataStart, fileBytes: cursor.fileBytes };
  } finally {
    closeSync(fd);
  }
}

function readValue(cursor: Cursor, type: number, key: string): Value {
  if (type === ValueType.String) return cursor.string(key);
  if (type === ValueType.Array) {
    const elementType = cursor.u32(`the element type of ${key}`);
    const length = cursor.count(`the length of ${key}`);
    if (elementType === ValueType.Array) throw new GgufError(`metadata ${key}: arrays of arrays are not supported`);
    if (elementType === ValueType.String) for (let i = 0; i < length; i++) cursor.string(`${key}[${i}]`);
    else cursor.take(length * scalarBytes(elementType, key), key);
    return { elementType, length };
  }
  const bytes = cursor.take(scalarBytes(type, key), key);
  switch (type) {
    case ValueType.Uint8:
      return bytes.readUInt8(0);
    case ValueType.Int8:
      return bytes.readInt8(0);
    case ValueType.Bool:
      return bytes.readUInt8(0) !== 0;
    case ValueType.Uint16:
      return bytes.readUInt16LE(0);
    case ValueType.Int16:
      return bytes.readInt16LE(0);
    case ValueType.Uint32:
      return bytes.readUInt32LE(0);
    case ValueType.Int32:
      return bytes.readInt32LE(0);
    case ValueType.Float32:
      return bytes.readFloatLE(0);
    case ValueType.Uint64:
      return bytes.readBigUInt64LE(0);
    case ValueType.Int64:
      return bytes.readBigInt64LE(0);
    default:
      return bytes.readDoubleLE(0);
  }
}

function scalarBytes(type: number, key: string): number {
  const bytes = SCALAR_BYTES[type];
  if (bytes === undefined) throw new GgufError(`metadata ${key} has an unknown type ${type}`);
  return bytes;
}

export function alignUp(position: number, alignment: number): number {
  return Math.ceil(position / alignment) * alignment;
}

type ScalarType = typeof ValueType.Uint32 | typeof ValueType.Int32 | typeof ValueType.Float32 | typeof ValueType.String;

/** A scalar metadata value, encoded with its type. */
export function encodeScalar(type: ScalarType, value: number | string): Buffer {
  if (type === ValueType.String) return Buffer.concat([u32(type), encodeString(String(value))]);
  const data = Buffer.alloc(4);
  if (type === ValueType.Float32) data.writeFloatLE(Number(value));
  else if (type === ValueType.Int32) data.writeInt32LE(Number(value));
  else data.writeUInt32LE(Number(value));
  return Buffer.concat([u32(type), data]);
}

/** A header: the metadata entries in order, then the tensor infos, padded to the data section's alignment. */
export function encodeHeader(entries: readonly Entry[], tensors: readonly TensorInfo[], alignment: number): Buffer {
  const parts: Buffer[] = [Buffer.from("GGUF", "latin1"), u32(3), u64(tensors.length), u64(entries.length)];
  for (const entry of entries) parts.push(encodeString(entry.key), entry.encoded);
  for (const tensor of tensors) {
    parts.push(encodeString(tensor.name), u32(tensor.dims.length), ...tensor.dims.map(u64), u32(tensor.type), u64(tensor.offset));
  }
  const header = Buffer.concat(parts);
  return Buffer.concat([header, Buffer.alloc(alignUp(header.length, alignment) - header.length)]);
}

function encodeString(text: string): Buffer {
  const bytes = Buffer.from(text, "utf8");
  return Buffer.concat([u64(bytes.length), bytes]);
}

function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value);
  return buffer;
}

function u64(value: number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64LE(BigInt(value));
  return buffer;
}
