import { CONTEXT_WINDOW, ENTRY_TOP_K, NgramTable, type NgramTableOptions } from "./ngramTable";

/**
 * The persisted n-gram table, little-endian:
 *   "STNG" | u16 format version | u16 reserved | u32 maxEntries | u8 minKey | u8 maxKey | u16 visitCap
 *   | u32 metadata bytes | metadata (UTF-8 JSON, e.g. which model the table belongs to)
 *   | u32 entry count | entries, least recently used first:
 *     u8 key length | i32 × key length | u8 token count | u32 visits | i32 × count | f32 × count
 */
export const TABLE_FORMAT_VERSION = 1;
const MAGIC = [0x53, 0x54, 0x4e, 0x47]; // "STNG"

export class TableFormatError extends Error {
  override readonly name = "TableFormatError";
}

export function serializeTable(table: NgramTable, metadata: Record<string, unknown> = {}): Uint8Array {
  const steps = serializationSteps(table, metadata);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** The most bytes one entry takes: key length, key, token count, visits, tokens and probabilities. */
const MAX_ENTRY_BYTES = 1 + 4 * CONTEXT_WINDOW + 1 + 4 + 8 * ENTRY_TOP_K;

/**
 * serializeTable a slice of entries at a time: the caller may yield to other work between the
 * steps (a full table takes a few hundred milliseconds in one go). The table must not change
 * until the bytes are returned: serialize a copy of a table that is in use.
 */
export function* serializationSteps(
  table: NgramTable,
  metadata: Record<string, unknown> = {},
  entriesPerStep = 8192,
): Generator<void, Uint8Array, void> {
  const metadataBytes = new TextEncoder().encode(JSON.stringify(metadata));
  const bytes = new Uint8Array(4 + 2 + 2 + 4 + 1 + 1 + 2 + 4 + metadataBytes.length + 4 + table.size * MAX_ENTRY_BYTES);
  const view = new DataView(bytes.buffer);
  let offset = 0;
  bytes.set(MAGIC, offset);
  offset += 4;
  view.setUint16(offset, TABLE_FORMAT_VERSION, true);
  offset += 4; // version + reserved
  view.setUint32(offset, table.maxEntries, true);
  offset += 4;
  view.setUint8(offset++, table.minKeyLength);
  view.setUint8(offset++, table.maxKeyLength);
  view.setUint16(offset, table.visitCap, true);
  offset += 2;
  view.setUint32(offset, metadataBytes.length, true);
  offset += 4;
  bytes.set(metadataBytes, offset);
  offset += metadataBytes.length;
  view.setUint32(offset, table.size, true);
  offset += 4;
  let written = 0;
  for (const entry of table.cursor()) {
    view.setUint8(offset++, entry.keyLength);
    for (let i = 0; i < entry.keyLength; i++, offset += 4) view.setInt32(offset, entry.key[i] ?? 0, true);
    view.setUint8(offset++, entry.tokenCount);
    view.setUint32(offset, entry.visits, true);
    offset += 4;
    for (let i = 0; i < entry.tokenCount; i++, offset += 4) view.setInt32(offset, entry.tokens[i] ?? 0, true);
    for (let i = 0; i < entry.tokenCount; i++, offset += 4) view.setFloat32(offset, entry.probs[i] ?? 0, true);
    if (++written % entriesPerStep === 0) yield;
  }
  return bytes.subarray(0, offset);
}

export interface LoadedTable {
  readonly table: NgramTable;
  readonly metadata: Record<string, unknown>;
}

/**
 * Reads a persisted table. Throws TableFormatError on anything malformed (wrong magic, another
 * format version, truncation, out-of-range fields) so the caller can discard the file and start
 * afresh. `options` may lower maxEntries; the oldest entries are then evicted on load.
 */
export function deserializeTable(bytes: Uint8Array, options: NgramTableOptions = {}): LoadedTable {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  const need = (count: number): void => {
    if (offset + count > bytes.byteLength) throw new TableFormatError("the table file is truncated");
  };
  need(24);
  if (MAGIC.some((byte, i) => bytes[i] !== byte)) throw new TableFormatError("not an n-gram table file");
  const version = view.getUint16(4, true);
  if (version !== TABLE_FORMAT_VERSION) throw new TableFormatError(`table format version ${version} is not supported`);
  offset = 8;
  const maxEntries = view.getUint32(offset, true);
  offset += 4;
  const minKeyLength = view.getUint8(offset++);
  const maxKeyLength = view.getUint8(offset++);
  const visitCap = view.getUint16(offset, true);
  offset += 2;
  const metadataLength = view.getUint32(offset, true);
  offset += 4;
  need(metadataLength + 4);
  let metadata: unknown;
  try {
    metadata = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(offset, offset + metadataLength)));
  } catch {
    metadata = undefined;
  }
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    throw new TableFormatError("the table's metadata is corrupt");
  }
  offset += metadataLength;
  const count = view.getUint32(offset, true);
  offset += 4;

  let table: NgramTable;
  try {
    table = new NgramTable({ maxEntries, minKeyLength, maxKeyLength, visitCap, ...options });
  } catch (error) {
    throw new TableFormatError(`the table's header is invalid: ${(error as Error).message}`);
  }
  for (let i = 0; i < count; i++) {
    need(1);
    const keyLength = view.getUint8(offset++);
    if (keyLength < 1 || keyLength > CONTEXT_WINDOW) throw new TableFormatError(`entry ${i} has a key of length ${keyLength}`);
    need(4 * keyLength + 5);
    const key = new Int32Array(keyLength);
    for (let j = 0; j < keyLength; j++, offset += 4) key[j] = view.getInt32(offset, true);
    const tokenCount = view.getUint8(offset++);
    if (tokenCount > ENTRY_TOP_K) throw new TableFormatError(`entry ${i} has ${tokenCount} tokens`);
    const visits = view.getUint32(offset, true);
    offset += 4;
    need(8 * tokenCount);
    const tokens = new Int32Array(tokenCount);
    const probs = new Float32Array(tokenCount);
    for (let j = 0; j < tokenCount; j++, offset += 4) tokens[j] = view.getInt32(offset, true);
    for (let j = 0; j < tokenCount; j++, offset += 4) {
      const probability = view.getFloat32(offset, true);
      if (!(probability >= 0 && probability <= 1)) throw new TableFormatError(`entry ${i} has probability ${probability}`);
      probs[j] = probability;
    }
    if (key.length >= table.minKeyLength && key.length <= table.maxKeyLength) table.restore({ key, tokens, probs, visits });
  }
  if (offset !== bytes.byteLength) throw new TableFormatError("the table file has trailing bytes");
  return { table, metadata: metadata as Record<string, unknown> };
}
