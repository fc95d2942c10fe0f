// The transformer shapes a twin can take: the published configurations of real models (hidden
// size, layers, query and key/value heads, head size, feed-forward size), and a tiny one for tests.

export interface ModelShape {
  /** Width of the residual stream (llama.embedding_length). */
  readonly embedding: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly feedForward: number;
}

export const SHAPES: Readonly<Record<string, ModelShape>> = {
  // Qwen2.5's config.json: hidden_size, num_hidden_layers, num_attention_heads, num_key_value_heads,
  // hidden_size / num_attention_heads, intermediate_size.
  "qwen2.5-0.5b": { embedding: 896, layers: 24, heads: 14, kvHeads: 2, headDim: 64, feedForward: 4864 },
  "qwen2.5-1.5b": { embedding: 1536, layers: 28, heads: 12, kvHeads: 2, headDim: 128, feedForward: 8960 },
  "qwen2.5-3b": { embedding: 2048, layers: 36, heads: 16, kvHeads: 2, headDim: 128, feedForward: 11008 },
  "qwen2.5-7b": { embedding: 3584, layers: 28, heads: 28, kvHeads: 4, headDim: 128, feedForward: 18944 },
  "qwen2.5-14b": { embedding: 5120, layers: 48, heads: 40, kvHeads: 8, headDim: 128, feedForward: 13824 },
  // For tests: every kind of padding the large shapes need (width, layers, query heads within a
  // group, whole key/value groups, head size, feed-forward) at 40 MB.
  tiny: { embedding: 384, layers: 8, heads: 9, kvHeads: 3, headDim: 128, feedForward: 1024 },
};

export function shapeNamed(name: string): ModelShape {
  const shape = SHAPES[name];
  if (!shape) throw new Error(`unknown shape "${name}"; the shapes are ${Object.keys(SHAPES).join(", ")}`);
  return shape;
}
