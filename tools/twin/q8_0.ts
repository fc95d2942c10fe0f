// ggml's Q8_0 blocks (ggml-common.h block_q8_0): 32 weights as one half-precision scale d followed
// by 32 signed bytes q, each weight ≈ d · q. Quantised as ggml's quantize_row_q8_0_ref does (the
// reference llama-quantize uses), in float32 arithmetic, so the bytes are the ones ggml would write.
import { floatToHalf, halfToFloat } from "./float16";

export const Q8_0_BLOCK_WEIGHTS = 32;
export const Q8_0_BLOCK_BYTES = 2 + Q8_0_BLOCK_WEIGHTS;

/** Quantises `row` (a whole number of blocks) into `out` at byte `offset`. */
export function quantizeRowQ8_0(row: Float32Array, out: Buffer, offset = 0): void {
  if (row.length % Q8_0_BLOCK_WEIGHTS !== 0) throw new Error(`a Q8_0 row holds whole blocks of 32 weights, not ${row.length}`);
  for (let block = 0; block < row.length / Q8_0_BLOCK_WEIGHTS; block++) {
    const start = block * Q8_0_BLOCK_WEIGHTS;
    let absoluteMax = 0;
    for (let j = 0; j < Q8_0_BLOCK_WEIGHTS; j++) absoluteMax = Math.max(absoluteMax, Math.abs(row[start + j] ?? 0));
    if (!Number.isFinite(absoluteMax)) throw new Error("a weight to quantise is not a finite number");
    const scale = Math.fround(absoluteMax / 127);
    const inverse = scale === 0 ? 0 : Math.fround(1 / scale);
    const at = offset + block * Q8_0_BLOCK_BYTES;
    out.writeUInt16LE(floatToHalf(scale), at);
    for (let j = 0; j < Q8_0_BLOCK_WEIGHTS; j++) {
      const scaled = Math.fround((row[start + j] ?? 0) * inverse);
      // C's roundf: halves away from zero (Math.round would take -2.5 to -2).
      out.writeInt8(Math.sign(scaled) * Math.floor(Math.abs(scaled) + 0.5), at + 2 + j);
    }
  }
}

/** The weights a Q8_0 row stands for (ggml's dequantize_row_q8_0). */
export function dequantizeRowQ8_0(bytes: Buffer, weights: number): Float32Array {
  const row = new Float32Array(weights);
  for (let block = 0; block < weights / Q8_0_BLOCK_WEIGHTS; block++) {
    const at = block * Q8_0_BLOCK_BYTES;
    const scale = halfToFloat(bytes.readUInt16LE(at));
    for (let j = 0; j < Q8_0_BLOCK_WEIGHTS; j++) row[block * Q8_0_BLOCK_WEIGHTS + j] = scale * bytes.readInt8(at + 2 + j);
  }
  return row;
}
