// Writes a planned twin as a GGUF file, streaming: one source tensor is in memory at a time, and
// a twin row is encoded only where it holds source weights. The rest of the file is zeros (an
// F16 zero and a Q8_0 block of zeros are all zero bytes), which are either written or, with
// `sparse`, left as holes that read as zeros. The file appears under its name only when complete
// (written to a temporary file beside it, flushed, then renamed).
import { closeSync, fsyncSync, ftruncateSync, openSync, readSync, renameSync, rmSync, writeSync } from "node:fs";
import { temporaryPathFor } from "../writeFileAtomically";
import { floatToHalf, halfTable } from "./float16";
import { encodeHeader, rowBytes, tensorBytes, type Header } from "./gguf";
import { quantizeRowQ8_0 } from "./q8_0";
import type { PlannedTensor, TensorFill, TwinPlan } from "./twinPlan";

export interface WriteTwinOptions {
  /** Leave the zeros as holes instead of writing them (much faster; the file reads the same). */
  readonly sparse?: boolean;
}

/** Writes `plan` to `outPath` from the source GGUF at `sourcePath` (whose header is `source`); returns the file's size. */
export function writeTwin(sourcePath: string, source: Header, plan: TwinPlan, outPath: string, options: WriteTwinOptions = {}): number {
  const temporary = temporaryPathFor(outPath);
  const header = encodeHeader(
    plan.entries,
    plan.tensors.map((tensor) => tensor.info),
    plan.alignment,
  );
  const fileBytes = header.length + plan.dataBytes;
  const sourceFd = openSync(sourcePath, "r");
  let fd: number | undefined = openSync(temporary, "w");
  try {
    const out = new SequentialWriter(fd, options.sparse ?? false);
    out.write(0, header);
    for (const tensor of plan.tensors) writeTensor(out, header.length + tensor.info.offset, tensor, sourceFd, source);
    out.finish(fileBytes);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, outPath);
    return fileBytes;
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  } finally {
    closeSync(sourceFd);
  }
}

function writeTensor(out: SequentialWriter, start: number, tensor: PlannedTensor, sourceFd: number, source: Header): void {
  const rowWeights = tensor.info.dims[0] ?? 0;
  const bytesPerRow = rowBytes(tensor.type, rowWeights);
  const rows = tensor.info.dims.slice(1).reduce((a, b) => a * b, 1);
  const { fill } = tensor;
  if (fill.kind === "constant") {
    if (fill.value === 0) return; // already zeros
    const row = encodeRow(tensor, new Float32Array(rowWeights).fill(fill.value), [{ from: 0, to: 0, length: rowWeights }], 1);
    for (let r = 0; r < rows; r++) out.write(start + r * bytesPerRow, row);
    return;
  }
  const weights = readSourceTensor(sourceFd, source, fill);
  const sourceRowWeights = fill.source.dims[0] ?? 0;
  const sourceRows = weights.length / sourceRowWeights;
  for (let r = 0; r < sourceRows; r++) {
    const targetRow = fill.targetRow(r);
    if (targetRow >= rows) throw new Error(`${tensor.info.name}: source row ${r} has no place in the twin`);
    const row = weights.subarray(r * sourceRowWeights, (r + 1) * sourceRowWeights);
    out.write(start + targetRow * bytesPerRow, encodeRow(tensor, row, fill.segments, fill.scale));
  }
}

/** One twin row: zeros, with each segment of the source row (times `scale`) in its place. */
function encodeRow(
  tensor: PlannedTensor,
  sourceRow: Float32Array,
  segments: Extract<TensorFill, { kind: "source" }>["segments"],
  scale: number,
): Buffer {
  const rowWeights = tensor.info.dims[0] ?? 0;
  const bytes = Buffer.alloc(rowBytes(tensor.type, rowWeights));
  const weight = (i: number): number => Math.fround((sourceRow[i] ?? 0) * scale);
  if (tensor.type === "Q8_0") {
    const row = new Float32Array(rowWeights);
    for (const { from, to, length } of segments) for (let i = 0; i < length; i++) row[to + i] = weight(from + i);
    quantizeRowQ8_0(row, bytes);
  } else {
    for (const { from, to, length } of segments) {
      for (let i = 0; i < length; i++) {
        if (tensor.type === "F32") bytes.writeFloatLE(weight(from + i), 4 * (to + i));
        else bytes.writeUInt16LE(floatToHalf(weight(from + i)), 2 * (to + i));
      }
    }
  }
  return bytes;
}

/** A source tensor's weights as float32 (F16 and F32 convert exactly). */
function readSourceTensor(fd: number, source: Header, fill: Extract<TensorFill, { kind: "source" }>): Float32Array {
  const bytes = tensorBytes(fill.sourceType, fill.source.dims);
  const position = source.dataStart + fill.source.offset;
  if (position + bytes > source.fileBytes) throw new Error(`tensor ${fill.source.name}'s data lies past the end of the source file`);
  const data = Buffer.alloc(bytes);
  if (readSync(fd, data, 0, bytes, position) !== bytes) throw new Error(`short read of tensor ${fill.source.name}`);
  if (fill.sourceType === "F32") return new Float32Array(data.buffer, data.byteOffset, bytes / 4).slice();
  const halves = halfTable();
  const weights = new Float32Array(bytes / 2);
  for (let i = 0; i < weights.length; i++) weights[i] = halves[data.readUInt16LE(2 * i)] ?? 0;
  return weights;
}

/** Writes at increasing positions, coalescing adjacent pieces; gaps become zeros or holes. */
class SequentialWriter {
  private static readonly CHUNK = 8 << 20;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Where the pending bytes start. */
  private pendingStart = 0;

  constructor(
    private readonly fd: number,
    private readonly sparse: boolean,
  ) {}

  write(position: number, bytes: Buffer): void {
    const end = this.pendingStart + this.pendingBytes;
    if (position < end) throw new Error(`twin writer: position ${position} goes back before ${end}`);
    if (position > end) {
      if (this.sparse || position - end > SequentialWriter.CHUNK) {
        this.flush();
        if (!this.sparse) this.writeZeros(end, position);
        this.pendingStart = position;
      } else this.append(Buffer.alloc(position - end));
    }
    this.append(bytes);
  }

  /** Flushes, then makes the file `bytes` long (zeros or a hole after the last write). */
  finish(bytes: number): void {
    this.flush();
    const end = this.pendingStart;
    if (!this.sparse && bytes > end) this.writeZeros(end, bytes);
    ftruncateSync(this.fd, bytes);
  }

  private append(bytes: Buffer): void {
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= SequentialWriter.CHUNK) this.flush();
  }

  private flush(): void {
    if (this.pendingBytes > 0) writeFully(this.fd, Buffer.concat(this.pending, this.pendingBytes), this.pendingStart);
    this.pendingStart += this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
  }

  private writeZeros(from: number, to: number): void {
    const zeros = Buffer.alloc(Math.min(SequentialWriter.CHUNK, to - from));
    for (let at = from; at < to; at += zeros.length) writeFully(this.fd, zeros.subarray(0, Math.min(zeros.length, to - at)), at);
  }
}

function writeFully(fd: number, bytes: Buffer, position: number): void {
  for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}
