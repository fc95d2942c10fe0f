// Copying what one context sequence holds into another: llama.cpp's seq_cp, which node-llama-cpp
// reaches only through an internal method. The call takes 0.25 ms on the embedded model (a
// 512-token prefix takes 117 ms to evaluate); llama.cpp copies the KV buffer itself at the next
// decode, the whole of the sequence's stream (see sharedPrefix.ts). The one place that touches
// that method.
import type { LlamaContextSequence } from "node-llama-cpp" with { "resolution-mode": "import" };

/** The internal method, as node-llama-cpp 3.22.1 (which package.json pins) defines it. */
interface CopyingSequence {
  _copyStateFromOtherSequence(other: LlamaContextSequence, upToTokenIndex: number): Promise<boolean | undefined>;
}

function isCopying(sequence: unknown): sequence is CopyingSequence {
  return typeof (sequence as Partial<CopyingSequence> | null)?._copyStateFromOtherSequence === "function";
}

/** Whether this node-llama-cpp can copy one context sequence's state into another (what prefix sharing and draft trees need). */
export function canCopySequences(sequence: LlamaContextSequence): boolean {
  return isCopying(sequence);
}

export class SequenceCopyUnavailableError extends Error {
  override readonly name = "SequenceCopyUnavailableError";
}

/**
 * Makes `to` hold the first `length` tokens that `from` holds (its KV cache and its token list),
 * replacing whatever `to` held. `from` must hold at least `length` tokens, and neither sequence
 * may be evaluating meanwhile (the method takes the context's lock, not the sequences'). Says
 * whether `to` now holds exactly them; when not, what `to` holds is unknown and should be erased.
 */
export async function copySequencePrefix(from: LlamaContextSequence, to: LlamaContextSequence, length: number): Promise<boolean> {
  if (!isCopying(to)) {
    throw new SequenceCopyUnavailableError(
      "this node-llama-cpp has no LlamaContextSequence._copyStateFromOtherSequence (an internal method of 3.22.1, the version package.json pins): sequences cannot share a prompt",
    );
  }
  if (!(Number.isInteger(length) && length >= 1 && length <= from.nextTokenIndex)) {
    throw new RangeError(`cannot copy ${String(length)} tokens from a sequence that holds ${String(from.nextTokenIndex)}`);
  }
  const copied = await to._copyStateFromOtherSequence(from, length);
  return copied === true && to.nextTokenIndex === length;
}
