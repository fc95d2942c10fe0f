// A model file is untrusted: before node-llama-cpp's readGgufFileInfo (which believes every count
// and length it reads and allocates for them) sees a file, its whole GGUF header is walked here
// with a fixed-size buffer, checking the version, the counts and every length against the bytes
// the file really has. A crafted 24-byte file that claims 2^62 entries is refused at once instead
// of growing the server's memory without limit.
import { open, type FileHandle } from "node:fs/promises";

export class GgufHeaderError extends Error {
  override readonly name = "GgufHeaderError";
  constructor(
    message: string,
    /** "not-gguf": no GGUF magic at all; "damaged": a GGUF file whose header is wrong. */
    readonly kind: "not-gguf" | "damaged",
  ) {
    super(message);
  }
}

export interface GgufHeader {
  readonly version: number;
  readonly tensorCount: number;
  readonly metadataCount: number;
  /** general.architecture, when the file names one. */
  readonly architecture?: string;
  /** Bytes from the start of the file to the start of the tensor data. */
  readonly headerBytes: number;
}

/** The versions llama.cpp reads (version 1, with 32-bit counts, is long gone). */
const SUPPORTED_VERSIONS = [2, 3];
const MAGIC = "GGUF";
const FIXED_HEADER_BYTES = 4 + 4 + 8 + 8;
/** The least bytes a metadata entry takes (key length, a one-byte key, type, a one-byte value) and a tensor's description (name length, a one-byte name, dimension count, one dimension, type, offset). */
const MIN_ENTRY_BYTES = 8 + 1 + 4 + 1;
const MIN_TENSOR_INFO_BYTES = 8 + 1 + 4 + 8 + 4 + 8;
/** llama.cpp's GGML_MAX_DIMS and GGML_MAX_NAME. */
const MAX_DIMENSIONS = 4;
const MAX_TENSOR_NAME = 63;
/**
 * Bounds on what a header may make the reader (ours, then node-llama-cpp's) hold: no model's
 * vocabulary or merge list comes near 16 M items or its metadata near 256 MiB.
 */
const MAX_ARRAY_ITEMS = 1 << 24;
const MAX_HEADER_BYTES = 256 * 2 ** 20;
const MAX_KEY_BYTES = 1 << 16;

/** GGUF's value types (gguf_type). */
const ValueType = { String: 8, Array: 9, Uint32: 4 } as const;
/** Bytes of each fixed-size value type: uint8, int8, uint16, int16, uint32, int32, float32, bool, (string), (array), uint64, int64, float64. */
const FIXED_SIZES: Readonly<Record<number, number>> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

/** Reads a file front to back through one small buffer; every read is checked against the file's size. */
class BoundedReader {
  private readonly buffer = Buffer.alloc(1 << 16);
  /** File offset of buffer[0] and how many bytes of the buffer are valid. */
  private bufferStart = 0;
  private bufferLength = 0;
  offset = 0;

  constructor(
    private readonly handle: FileHandle,
    readonly size: number,
    private readonly signal?: AbortSignal,
  ) {}

  get remaining(): number {
    return this.size - this.offset;
  }

  async u32(what: string): Promise<number> {
    await this.need(4, what);
    const value = this.buffer.readUInt32LE(this.offset - this.bufferStart);
    this.offset += 4;
    return value;
  }

  async u64(what: string): Promise<bigint> {
    await this.need(8, what);
    const value = this.buffer.readBigUInt64LE(this.offset - this.bufferStart);
    this.offset += 8;
    return value;
  }

  /** A u64 that counts bytes of this file, refused when more than are left. */
  async length(what: string): Promise<number> {
    const value = await this.u64(what);
    if (value > BigInt(this.remaining)) throw new GgufHeaderError(`its ${what} is ${value} bytes, past the end of the file`, "damaged");
    return Number(value);
  }

  async text(length: number, what: string): Promise<string> {
    await this.need(length, what);
    const value = this.buffer.toString("utf8", this.offset - this.bufferStart, this.offset - this.bufferStart + length);
    this.offset += length;
    return value;
  }

  skip(bytes: number, what: string): void {
    if (bytes > this.remaining) throw truncated(what, bytes, this.remaining);
    this.offset += bytes;
  }

  private async need(bytes: number, what: string): Promise<void> {
    if (bytes > this.remaining) throw truncated(what, bytes, this.remaining);
    if (this.offset >= this.bufferStart && this.offset + bytes <= this.bufferStart + this.bufferLength) return;
    if (bytes > this.buffer.length)
      throw new GgufHeaderError(`its header has a ${what} of ${bytes} bytes, more than any model's`, "damaged");
    this.signal?.throwIfAborted();
    this.bufferStart = this.offset;
    const { bytesRead } = await this.handle.read(this.buffer, 0, Math.min(this.buffer.length, this.remaining), this.offset);
    this.bufferLength = bytesRead;
    if (bytesRead < bytes) throw truncated(what, bytes, bytesRead);
  }
}

function truncated(what: string, needed: number, left: number): GgufHeaderError {
  return new GgufHeaderError(`its header is cut short: a ${what} needs ${needed} bytes and only ${left} are left`, "damaged");
}

/**
 * Walks the header of the GGUF file at `path` (`size` bytes) and returns what it says, or throws a
 * GgufHeaderError that says what is wrong. Reads at most the header, 64 KiB at a time.
 */
export async function readGgufHeader(path: string, size: number, signal?: AbortSignal): Promise<GgufHeader> {
  const handle = await open(path, "r");
  try {
    return await walkHeader(new BoundedReader(handle, size, signal));
  } finally {
    await handle.close();
  }
}

async function walkHeader(reader: BoundedReader): Promise<GgufHeader> {
  if (reader.size < FIXED_HEADER_BYTES) {
    const start = reader.size >= 4 ? await reader.text(4, "magic") : "";
    if (start !== MAGIC) throw new GgufHeaderError("it is not a GGUF file", "not-gguf");
    throw new GgufHeaderError(`it is ${reader.size} bytes long, shorter than a GGUF header (${FIXED_HEADER_BYTES} bytes)`, "damaged");
  }
  if ((await reader.text(4, "magic")) !== MAGIC) throw new GgufHeaderError("it is not a GGUF file", "not-gguf");
  const version = await reader.u32("version");
  if (!SUPPORTED_VERSIONS.includes(version)) {
    throw new GgufHeaderError(`it is GGUF version ${version}; llama.cpp reads versions ${SUPPORTED_VERSIONS.join(" and ")}`, "damaged");
  }
  const tensors = await reader.u64("tensor count");
  const entries = await reader.u64("metadata count");
  if (tensors * BigInt(MIN_TENSOR_INFO_BYTES) + entries * BigInt(MIN_ENTRY_BYTES) > BigInt(reader.remaining)) {
    throw new GgufHeaderError(
      `its header claims ${tensors} tensors and ${entries} metadata entries, more than its ${reader.size} bytes can hold`,
      "damaged",
    );
  }
  const tensorCount = Number(tensors);
  const metadataCount = Number(entries);

  let architecture: string | undefined;
  let alignment = 32;
  for (let entry = 0; entry < metadataCount; entry++) {
    const keyLength = await reader.length("metadata key length");
    if (keyLength < 1 || keyLength > MAX_KEY_BYTES)
      throw new GgufHeaderError(`metadata entry ${entry} has a key of ${keyLength} bytes`, "damaged");
    const key = await reader.text(keyLength, "metadata key");
    const type = await reader.u32(`type of ${key}`);
    if (key === "general.architecture" && type === ValueType.String) {
      const length = await reader.length(`length of ${key}`);
      if (length > 256) throw new GgufHeaderError(`its architecture name is ${length} bytes long`, "damaged");
      architecture = await reader.text(length, key);
    } else if (key === "general.alignment" && type === ValueType.Uint32) {
      alignment = await reader.u32(key);
      if (alignment === 0 || (alignment & (alignment - 1)) !== 0)
        throw new GgufHeaderError(`its alignment ${alignment} is not a power of two`, "damaged");
    } else {
      await skipValue(reader, type, key);
    }
    if (reader.offset > MAX_HEADER_BYTES)
      throw new GgufHeaderError(`its metadata takes more than ${MAX_HEADER_BYTES / 2 ** 20} MiB`, "damaged");
  }

  const tensorOffsets: bigint[] = [];
  for (let tensor = 0; tensor < tensorCount; tensor++) {
    const nameLength = await reader.length("tensor name length");
    if (nameLength < 1 || nameLength > MAX_TENSOR_NAME)
      throw new GgufHeaderError(`tensor ${tensor} has a name of ${nameLength} bytes`, "damaged");
    const name = await reader.text(nameLength, "tensor name");
    const dimensions = await reader.u32(`dimension count of ${name}`);
    if (dimensions > MAX_DIMENSIONS)
      throw new GgufHeaderError(`tensor ${name} has ${dimensions} dimensions; llama.cpp allows ${MAX_DIMENSIONS}`, "damaged");
    let elements = 1n;
    for (let d = 0; d < dimensions; d++) elements *= await reader.u64(`dimension of ${name}`);
    if (elements > BigInt(Number.MAX_SAFE_INTEGER))
      throw new GgufHeaderError(`tensor ${name} claims ${elements} elements, more than any file holds`, "damaged");
    await reader.u32(`type of ${name}`);
    tensorOffsets.push(await reader.u64(`offset of ${name}`));
    if (reader.offset > MAX_HEADER_BYTES)
      throw new GgufHeaderError(`its header takes more than ${MAX_HEADER_BYTES / 2 ** 20} MiB`, "damaged");
  }

  const headerBytes = Math.ceil(reader.offset / alignment) * alignment;
  const dataBytes = BigInt(reader.size - headerBytes);
  const outside = tensorOffsets.findIndex((offset) => offset > dataBytes);
  if (outside >= 0) throw new GgufHeaderError(`tensor ${outside}'s data starts past the end of the file`, "damaged");
  if (tensorCount === 0 && metadataCount === 0)
    throw new GgufHeaderError("it holds only a GGUF header: no metadata and no tensors", "damaged");
  if (tensorCount === 0) throw new GgufHeaderError("it holds no tensors: there are no weights to load", "damaged");
  return { version, tensorCount, metadataCount, architecture, headerBytes };
}

async function skipValue(reader: BoundedReader, type: number, key: string): Promise<void> {
  const fixed = FIXED_SIZES[type];
  if (fixed !== undefined) {
    reader.skip(fixed, key);
    return;
  }
  if (type === ValueType.String) {
    reader.skip(await reader.length(`length of ${key}`), key);
    return;
  }
  if (type !== ValueType.Array) throw new GgufHeaderError(`${key} has the unknown value type ${type}`, "damaged");
  const itemType = await reader.u32(`item type of ${key}`);
  const items = await reader.u64(`length of ${key}`);
  const itemSize = FIXED_SIZES[itemType];
  if (items * BigInt(itemSize ?? 8) > BigInt(reader.remaining)) {
    throw new GgufHeaderError(`${key} claims ${items} items, more than its file can hold`, "damaged");
  }
  if (items > BigInt(MAX_ARRAY_ITEMS))
    throw new GgufHeaderError(`${key} has ${items} items; no model has more than ${MAX_ARRAY_ITEMS}`, "damaged");
  const count = Number(items);
  if (itemSize !== undefined) {
    reader.skip(count * itemSize, key);
    return;
  }
  if (itemType !== ValueType.String) throw new GgufHeaderError(`${key} is an array of the unsupported type ${itemType}`, "damaged");
  for (let item = 0; item < count; item++) reader.skip(await reader.length(`length of ${key}[${item}]`), `${key}[${item}]`);
}
