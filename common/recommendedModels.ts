// The models the editor suggests in "Select Model…" and the demo model's notice: real coding
// models in GGUF, from their publishers' own repositories, each as the hf: URI node-llama-cpp
// downloads. Sizes are the download's, rounded (parameters × the quantisation's bits per weight).

export interface RecommendedModel {
  readonly name: string;
  /** `hf:<user>/<repo>:<quantisation>`, as the `stand.model` setting takes it. */
  readonly uri: string;
  /** The download, in GB. */
  readonly sizeGb: number;
  /** Who it suits, in a few words. */
  readonly fits: string;
}

export const RECOMMENDED_MODELS: readonly RecommendedModel[] = [
  {
    name: "Qwen2.5-Coder 1.5B Instruct",
    uri: "hf:Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF:Q4_K_M",
    sizeGb: 1.1,
    fits: "any laptop: quick, chat and fill-in-the-middle",
  },
  {
    name: "Qwen2.5-Coder 0.5B Instruct",
    uri: "hf:Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF:Q8_0",
    sizeGb: 0.6,
    fits: "the smallest real coder, for slow CPUs",
  },
  {
    name: "Qwen3 4B (thinks before it answers)",
    uri: "hf:Qwen/Qwen3-4B-GGUF:Q4_K_M",
    sizeGb: 2.5,
    fits: "a reasoning model for 8 GB of RAM or a small GPU",
  },
  {
    name: "Qwen2.5-Coder 7B Instruct",
    uri: "hf:Qwen/Qwen2.5-Coder-7B-Instruct-GGUF:Q4_K_M",
    sizeGb: 4.7,
    fits: "a GPU with 8 GB or more",
  },
];
