// The shapes STAND drafts on a real model, in one place: the server, the benchmark and the GPU kit use these.
import { DraftShape } from "./stand";

/** The longest chain drafted: the adaptive budget drafts a prefix of it. */
export const CHAIN_SHAPE = DraftShape.chain(8);

/**
 * The tree drafted where trees are chosen: 18 draft tokens with 3 candidates for the next token and
 * 8 root-to-leaf branches (each one a context sequence per trajectory, see model/sequencePool.ts),
 * so that 32 trajectories still fit llama.cpp's 256 sequences.
 */
export const TREE_SHAPE = DraftShape.fromWidths([3, 4, 4, 3, 2, 1, 1]);
