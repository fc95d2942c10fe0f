// Writes small GGUF v3 files for tests of the model loader's error paths: just the header
// fields llama.cpp and node-llama-cpp read first, with as much tensor data as asked for.
import { writeFileSync } from "node:fs";

type Value = { type: "string"; value: string } | { type: "u32"; value: number };

const GGUF_TYPE_UINT32 = 4;
const GGUF_TYPE_STRING = 8;
const GGML_TYPE_F32 = 0;

export interface TensorSpec {
  readonly name: string;
  readonly dims: number[];
}

export function writeGguf(path: string, metadata: Record<string, Value>, tensors: TensorSpec[], dataBytes: number): void {
  const chunks: Buffer[] = [];
  const u32 = (value: number): Buffer => {
    const buffer = Buffer.alloc(4);
    buffer.writeUInt32LE(value);
    return buffer;
  };
  const u64 = (value: number): Buffer => {
    const buffer = Buffer.alloc(8);
    buffer.writeBigUInt64LE(BigInt(value));
    return buffer;
  };
  const text = (value: string): Buffer => Buffer.concat([u64(Buffer.byteLength(value)), Buffer.from(value)]);
  chunks.push(Buffer.from("GGUF"), u32(3), u64(tensors.length), u64(Object.keys(metadata).length));
  for (const [key, entry] of Object.entries(metadata)) {
    chunks.push(text(key));
    if (entry.type === "string") chunks.push(u32(GGUF_TYPE_STRING), text(entry.value));
    else chunks.push(u32(GGUF_TYPE_UINT32), u32(entry.value));
  }
  let offset = 0;
  for (const tensor of tensors) {
    chunks.push(text(tensor.name), u32(tensor.dims.length), ...tensor.dims.map(u64), u32(GGML_TYPE_F32), u64(offset));
    offset += 4 * tensor.dims.reduce((a, b) => a * b, 1);
    offset = Math.ceil(offset / 32) * 32;
  }
  const header = Buffer.concat(chunks);
  const padding = Buffer.alloc((32 - (header.length % 32)) % 32);
  writeFileSync(path, Buffer.concat([header, padding, Buffer.alloc(dataBytes)]));
}

export const string = (value: string): Value => ({ type: "string", value });
export const uint32 = (value: number): Value => ({ type: "u32", value });
