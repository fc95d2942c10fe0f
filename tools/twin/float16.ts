// IEEE 754 half precision, as ggml stores F16 tensors and Q8_0 block scales. Node 20 has no
// Float16Array, so the conversions are written out; both round-trip every finite half exactly.

const scratch = new DataView(new ArrayBuffer(4));

/** The float32 value of a half's 16 bits (exact: every half is a float32). */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

/**
 * The half nearest a float32 value, ties to even, as ggml's GGML_FP32_TO_FP16 rounds: values past
 * the largest half become infinity, NaN stays NaN (0x7e00).
 */
export function floatToHalf(value: number): number {
  scratch.setFloat32(0, value, true);
  const bits = scratch.getUint32(0, true);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return mantissa === 0 ? sign | 0x7c00 : sign | 0x7e00;
  // Work in units of the smallest half subnormal (2^-24); the float32 is exact in them above it.
  const magnitude = Math.abs(Math.fround(value));
  if (magnitude >= 65520) return sign | 0x7c00; // rounds past 65504, the largest half
  if (magnitude < 2 ** -14) return sign | roundHalfEven(magnitude * 2 ** 24); // subnormal (or the smallest normal, by carry)
  const halfExponent = exponent - 127 + 15;
  // 13 mantissa bits are dropped; the carry of a round-up may move into the exponent, as it should.
  const kept = (halfExponent << 10) | (mantissa >>> 13);
  const dropped = mantissa & 0x1fff;
  const roundUp = dropped > 0x1000 || (dropped === 0x1000 && (kept & 1) === 1);
  return sign | (kept + (roundUp ? 1 : 0));
}

function roundHalfEven(units: number): number {
  const floor = Math.floor(units);
  const rest = units - floor;
  if (rest > 0.5 || (rest === 0.5 && floor % 2 === 1)) return floor + 1;
  return floor;
}

/** Every half's float32 value, indexed by its bits: decoding a row is one lookup per element. */
let table: Float32Array | undefined;
export function halfTable(): Float32Array {
  if (!table) {
    table = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) table[bits] = halfToFloat(bits);
  }
  return table;
}
