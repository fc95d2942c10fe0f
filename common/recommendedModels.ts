// The models STAND recommends, by machine: one list for the README's Models table, the model
// picker (Select Model…) and the tests that check each URI resolves to its file. Each `hf:` URI
// names its file, so node-llama-cpp finds it without asking the Hub which file a tag means.

/** The machine a model suits. */
export type MachineClass = "laptop-cpu" | "gpu-8gb" | "gpu-24gb";

export const MACHINE_LABELS: Record<MachineClass, string> = {
  "laptop-cpu": "Laptop CPU (8–16 GB RAM)",
  "gpu-8gb": "8 GB GPU",
  "gpu-24gb": "24 GB+ GPU",
};

export interface RecommendedModel {
  readonly label: string;
  /** `hf:<user>/<repo>/<file>.gguf`: what `stand.model` takes. */
  readonly uri: string;
  /** The file the URI downloads to (node-llama-cpp prefixes `hf_<user>_`). */
  readonly file: string;
  readonly machine: MachineClass;
  /** The download, in GB (10⁹ bytes), rounded. */
  readonly sizeGB: number;
  /** Trained for fill-in-the-middle (inline completions use FIM prompts whenever the file has FIM tokens). */
  readonly fillInTheMiddle: boolean;
  /** A chat template that node-llama-cpp renders with a specialised wrapper. */
  readonly chat: boolean;
  /** A thinking segment (<think>…</think>) before the answer, collapsed in the panel. */
  readonly thinking: boolean;
  /** The fixture families (tools/fixtures) whose tokenizer, special tokens and template prove the three above here. */
  readonly verifiedBy: readonly ("qwen3" | "llama3" | "deepseek3")[];
  readonly note: string;
}

export const RECOMMENDED_MODELS: readonly RecommendedModel[] = [
  {
    label: "Qwen2.5-Coder 1.5B Instruct (Q4_K_M)",
    uri: "hf:Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    file: "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    machine: "laptop-cpu",
    sizeGB: 1.1,
    fillInTheMiddle: true,
    chat: true,
    thinking: false,
    verifiedBy: ["qwen3"],
    note: "fast ghost text on a CPU; FIM-trained",
  },
  {
    label: "Qwen3 1.7B (Q8_0)",
    uri: "hf:Qwen/Qwen3-1.7B-GGUF/Qwen3-1.7B-Q8_0.gguf",
    file: "Qwen3-1.7B-Q8_0.gguf",
    machine: "laptop-cpu",
    sizeGB: 1.8,
    fillInTheMiddle: false,
    chat: true,
    thinking: true,
    verifiedBy: ["qwen3"],
    note: "small reasoning model for solves; its FIM tokens are Qwen's, but it was not trained for FIM",
  },
  {
    label: "Qwen2.5-Coder 7B Instruct (Q4_K_M)",
    uri: "hf:Qwen/Qwen2.5-Coder-7B-Instruct-GGUF/qwen2.5-coder-7b-instruct-q4_k_m.gguf",
    file: "qwen2.5-coder-7b-instruct-q4_k_m.gguf",
    machine: "gpu-8gb",
    sizeGB: 4.7,
    fillInTheMiddle: true,
    chat: true,
    thinking: false,
    verifiedBy: ["qwen3"],
    note: "inline completions and code solves",
  },
  {
    label: "DeepSeek-R1-Distill-Qwen 7B (Q4_K_M)",
    uri: "hf:bartowski/DeepSeek-R1-Distill-Qwen-7B-GGUF/DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf",
    file: "DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf",
    machine: "gpu-8gb",
    sizeGB: 4.7,
    fillInTheMiddle: false,
    chat: true,
    thinking: true,
    // Qwen2.5's vocabulary (FIM tokens included, untrained) with DeepSeek's chat template and turn tokens.
    verifiedBy: ["qwen3", "deepseek3"],
    note: "the STAND paper's model: long reasoning, many candidates; not trained for FIM",
  },
  {
    label: "Qwen3 8B (Q4_K_M)",
    uri: "hf:Qwen/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf",
    file: "Qwen3-8B-Q4_K_M.gguf",
    machine: "gpu-8gb",
    sizeGB: 5.0,
    fillInTheMiddle: false,
    chat: true,
    thinking: true,
    verifiedBy: ["qwen3"],
    note: "reasoning solves",
  },
  {
    label: "Qwen2.5-Coder 32B Instruct (Q4_K_M)",
    uri: "hf:bartowski/Qwen2.5-Coder-32B-Instruct-GGUF/Qwen2.5-Coder-32B-Instruct-Q4_K_M.gguf",
    file: "Qwen2.5-Coder-32B-Instruct-Q4_K_M.gguf",
    machine: "gpu-24gb",
    sizeGB: 19.9,
    fillInTheMiddle: true,
    chat: true,
    thinking: false,
    verifiedBy: ["qwen3"],
    note: "the strongest local coder that fits 24 GB",
  },
  {
    label: "Qwen3 32B (Q4_K_M)",
    uri: "hf:Qwen/Qwen3-32B-GGUF/Qwen3-32B-Q4_K_M.gguf",
    file: "Qwen3-32B-Q4_K_M.gguf",
    machine: "gpu-24gb",
    sizeGB: 19.8,
    fillInTheMiddle: false,
    chat: true,
    thinking: true,
    verifiedBy: ["qwen3"],
    note: "reasoning solves at test-time scale",
  },
];
