// One loaded model and everything decoding needs around it: the runtime, the contexts (one for
// solves, one for inline completions, so a completion never waits behind a long solve), the
// shared n-gram table and a draft budget per context. Callers see tokens and text, not node-llama-cpp.
import type { LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };
import { basename } from "node:path";
import { TABLE_MAX_ENTRIES } from "../../../common/product";
import type { BenchmarkRow, DraftShapeSetting, ModelInfo } from "../../../common/protocol";
import { ShapeChoicesByMode, TREE_SHAPE } from "../draftShapes";
import { DraftBudget, NgramTable, type SamplingOptions, type ShapeChoice, type TargetModel } from "../stand";
import { HealingReadings } from "../healingReadings";
import { IdleCoreSpinner } from "./idleCoreSpinner";
import { LlamaTarget } from "./llamaTarget";
import { MAX_CONTEXT_SEQUENCES } from "./sequencePool";
import { loadModelFile } from "./modelFile";
import { chunkTokens, hasChatTemplate, supportsFillInTheMiddle, tokenizePrompt, type ContextChunk, type PromptInput } from "./prompt";
import { runBenchmark, type BenchmarkOptions } from "./benchmark";
import { CUDA_GRAPHS_VARIABLE, loadRuntime, threadsForModel, type GpuChoice, type Runtime } from "./runtime";
import { Vocabulary } from "./vocabulary";

/** Contexts are sized for this much text at most (tiny models train on less). */
const MAX_CONTEXT = 4096;

export interface SessionOptions {
  readonly path: string;
  readonly gpu: GpuChoice;
  /** The persisted table for this model (given its vocabulary size, to check the table against), or else a new one. */
  readonly loadTable?: (vocabularySize: number) => Promise<NgramTable>;
  /** Where llama.cpp's own messages go. */
  readonly log?: (message: string) => void;
  /** Evaluation threads instead of threadsForModel's choice (benchmarks on a busy machine). */
  readonly threads?: number;
  /** Cancels the load. */
  readonly signal?: AbortSignal;
  /** The demo model that ships with the extension. */
  readonly embedded?: boolean;
}

type Use = "solve" | "inline";

export class ModelSession {
  readonly table: NgramTable;
  /** One context for solves, one for inline completions. */
  private readonly targets: Partial<Record<Use, LlamaTarget>> = {};
  /**
   * What drafting pays on each context, learned from its own calls: the two run at the same time
   * with different batch sizes, so each would mislearn the other's costs. A budget outlives its
   * context when N changes (its cost model knows the batch size).
   */
  private readonly budgets: Partial<Record<Use, DraftBudget>> = {};
  /** Whether each context was made for trees (see wantsTrees). */
  private readonly treesAsked: Partial<Record<Use, boolean>> = {};
  /** The same for the tree shape, where a context verifies trees. */
  private readonly treeBudgets: Partial<Record<Use, DraftBudget>> = {};
  /** Which shape each context drafts, with the target it measured (a new context measures again). */
  private readonly choices: Partial<Record<Use, { readonly target: TargetModel; readonly choices: ShapeChoicesByMode }>> = {};
  /** Each token's text, the tokens by text, and the end-of-generation tokens, read once. */
  readonly vocabulary: Vocabulary;
  /** Token healing's first readings at recent inline places, for the next keystroke there. */
  readonly healingReadings = new HealingReadings();

  private constructor(
    private readonly runtime: Runtime,
    /** node-llama-cpp's model, for this folder and its tests: the server goes through the methods below. */
    readonly model: LlamaModel,
    readonly path: string,
    readonly threads: number,
    table: NgramTable | undefined,
    private readonly embedded: boolean,
    /** Where the model leaves a core free (see IdleCoreSpinner.forModel); every target pings it. */
    private readonly spinner: IdleCoreSpinner | undefined,
  ) {
    this.table = table ?? new NgramTable({ maxEntries: TABLE_MAX_ENTRIES });
    this.vocabulary = Vocabulary.of(model);
  }

  static async open(options: SessionOptions): Promise<ModelSession> {
    const runtime = await loadRuntime(options.gpu, options.log);
    if (runtime.backend === "cuda" && !runtime.cudaGraphs)
      options.log?.(`CUDA graphs are off, as they crashed at 16 trajectories on an H200 (${CUDA_GRAPHS_VARIABLE}=1 turns them on)`);
    try {
      const model = await loadModelFile(runtime.llama, options.path, "auto", options.signal);
      const threads = options.threads ?? threadsForModel(model.size, runtime.llama.cpuMathCores, runtime.backend !== "cpu");
      let spinner: IdleCoreSpinner | undefined;
      try {
        const table = await options.loadTable?.(vocabularySizeOf(model));
        spinner = await IdleCoreSpinner.forModel(threads, runtime.llama.cpuMathCores);
        return new ModelSession(runtime, model, options.path, threads, table, options.embedded ?? false, spinner);
      } catch (error) {
        await spinner?.dispose();
        await model.dispose();
        throw error;
      }
    } catch (error) {
      await runtime.llama.dispose();
      throw error;
    }
  }

  get vocabularySize(): number {
    return vocabularySizeOf(this.model);
  }

  get contextSize(): number {
    return Math.min(this.model.trainContextSize, MAX_CONTEXT);
  }

  /**
   * Every token that ends generation, as llama.cpp decides it: not only eos and eot, but also
   * <|endoftext|> in a Qwen instruct model (which ends a FIM middle with it), <|end_of_text|> in
   * Llama 3, <|fim_pad|>, <|file_sep|> and the like.
   */
  get stopTokens(): readonly number[] {
    return this.vocabulary.endOfGeneration;
  }

  /** Whether prompts go through a chat template (a solve then asks in words by default). */
  get chatTemplate(): boolean {
    return hasChatTemplate(this.model);
  }

  async info(): Promise<ModelInfo> {
    const vram = this.runtime.backend === "cpu" ? 0 : (await this.runtime.llama.getVramState()).used;
    return {
      path: this.path,
      name: modelName(this.model, this.path),
      sizeBytes: this.model.size,
      backend: this.runtime.backend,
      devices: this.runtime.devices,
      fallbackReason: this.runtime.fallbackReason,
      contextSize: this.contextSize,
      fillInTheMiddle: this.fillInTheMiddle,
      chatTemplate: this.chatTemplate,
      threads: this.threads,
      embedded: this.embedded,
      memory: { ram: process.memoryUsage().rss, vram },
    };
  }

  /** Whether the model has fill-in-the-middle tokens (inline prompts then see the text after the cursor). */
  get fillInTheMiddle(): boolean {
    return supportsFillInTheMiddle(this.model);
  }

  /** How many tokens `text` is, as plain text: for sizing prompts. */
  countTokens(text: string): number {
    return this.model.tokenize(text).length;
  }

  /** How many tokens a context chunk takes in a prompt, with its header. */
  countChunkTokens(chunk: ContextChunk): number {
    return chunkTokens(this.model, chunk).length;
  }

  tokenize(input: PromptInput): Promise<Token[]> {
    return tokenizePrompt(this.model, input);
  }

  detokenize(tokens: readonly number[]): string {
    return this.model.detokenize(tokens as Token[]);
  }

  tokenText(token: number): string {
    return this.vocabulary.textOf(token);
  }

  /**
   * Whether an idle core is kept awake while the model decodes (the stand.busyWait setting):
   * false where the model leaves no core free, or no thread can run in Linux's idle scheduling class.
   */
  get busyWait(): boolean {
    return this.spinner?.enabled ?? false;
  }

  set busyWait(on: boolean) {
    if (this.spinner) this.spinner.enabled = on;
  }

  /** `npm run bench`'s comparison on this model, at this session's thread count and busy wait. */
  benchmark(options: Omit<BenchmarkOptions, "threads" | "spinner">): Promise<BenchmarkRow[]> {
    return runBenchmark(this.model, { ...options, threads: this.threads, spinner: this.spinner });
  }

  /** The target for a solve with `trajectories` candidates (recreated when N or whether it verifies trees changes). */
  solveTargetFor(trajectories: number, draftShape: DraftShapeSetting = "auto"): Promise<LlamaTarget> {
    return this.targetFor("solve", trajectories, this.wantsTrees(draftShape));
  }

  inlineTargetFor(trajectories: number, draftShape: DraftShapeSetting = "auto"): Promise<LlamaTarget> {
    return this.targetFor("inline", trajectories, this.wantsTrees(draftShape));
  }

  /**
   * Whether a context should verify trees: when the setting forces them, or may choose them on a
   * GPU. A CPU measures chains faster (see ShapeChoice), so there the sequences trees need (and
   * their KV cache, branches times the chain's) would go unused.
   */
  private wantsTrees(draftShape: DraftShapeSetting): boolean {
    return draftShape === "tree" || (draftShape === "auto" && this.onGpu);
  }

  /** The backend the model runs on: cpu, cuda, vulkan or metal. */
  get backend(): string {
    return this.runtime.backend;
  }

  /** Whether the model runs on a GPU backend (CUDA, Vulkan, Metal). */
  get onGpu(): boolean {
    return this.runtime.llama.gpu !== false;
  }

  /** The draft budget of the context a target of this session decodes on. */
  budgetFor(target: TargetModel): DraftBudget {
    const use: Use = target === this.targets.inline ? "inline" : "solve";
    return (this.budgets[use] ??= DraftBudget.for(target));
  }

  /** The draft budget of the tree shape on a target of this session. */
  treeBudgetFor(target: TargetModel): DraftBudget {
    return (this.treeBudgets[this.useOf(target)] ??= DraftBudget.for(target));
  }

  /**
   * The choice between the adaptive chain, plain steps and, where the target verifies trees, the
   * adaptive tree, for decodes sampled as `sampling` is of `trajectories` trajectories: greedy
   * decodes, sampled ones of one trajectory and sampled ones of several choose apart, and only the
   * last take plain steps (see ShapeChoicesByMode, adaptiveArms).
   */
  shapeChoiceFor(target: TargetModel, sampling: SamplingOptions, trajectories: number): ShapeChoice {
    const use = this.useOf(target);
    let held = this.choices[use];
    if (held?.target !== target) {
      const choices = new ShapeChoicesByMode(this.budgetFor(target), target.capabilities.trees ? this.treeBudgetFor(target) : undefined);
      this.choices[use] = held = { target, choices };
    }
    return held.choices.for(sampling, trajectories);
  }

  private useOf(target: TargetModel): Use {
    return target === this.targets.inline ? "inline" : "solve";
  }

  /** Frees the context for `use` if it was made for more than `trajectories` (it is made again when needed). */
  async releaseContextOver(use: "solve" | "inline", trajectories: number): Promise<void> {
    const target = this.targets[use];
    if (!target || target.trajectories <= trajectories) return;
    this.targets[use] = undefined;
    await target.dispose();
  }

  async dispose(): Promise<void> {
    await Promise.all(Object.values(this.targets).map((target) => target.dispose()));
    await this.spinner?.dispose();
    await this.model.dispose();
    await this.runtime.llama.dispose();
  }

  private async targetFor(use: Use, trajectories: number, trees: boolean): Promise<LlamaTarget> {
    let target = this.targets[use];
    if (target?.trajectories !== trajectories || this.treesAsked[use] !== trees) {
      // Forgotten before it is disposed: if the new context cannot be made, the next request
      // makes one again instead of finding a disposed one here.
      this.targets[use] = undefined;
      await target?.dispose();
      target = await this.createTarget(trajectories, trees);
      this.targets[use] = target;
      this.treesAsked[use] = trees;
    }
    return target;
  }

  /**
   * A context that verifies TREE_SHAPE's drafts (a sequence per branch per trajectory) where
   * llama.cpp's sequences allow, else chains only; also chains only if the larger context cannot
   * be made (its KV cache is one per sequence, so it takes branches times the memory).
   */
  private async createTarget(trajectories: number, trees: boolean): Promise<LlamaTarget> {
    const options = { trajectories, contextSize: this.contextSize, threads: this.threads, spinner: this.spinner };
    const treeBranches = TREE_SHAPE.leaves;
    if (!trees || trajectories * treeBranches > MAX_CONTEXT_SEQUENCES) return LlamaTarget.create(this.model, options);
    try {
      return await LlamaTarget.create(this.model, { ...options, treeBranches });
    } catch {
      return LlamaTarget.create(this.model, options);
    }
  }
}

/** Tokens in the model's vocabulary: ids are below it. */
function vocabularySizeOf(model: LlamaModel): number {
  // Typed as always there; a file may still lack it.
  const tokens: unknown = (model.fileInfo.metadata as { tokenizer?: { ggml?: { tokens?: unknown } } }).tokenizer?.ggml?.tokens;
  if (Array.isArray(tokens)) return tokens.length;
  // The embedding matrix has one row per token.
  const embedding = model.fileInfo.tensorInfo?.find((tensor) => tensor.name === "token_embd.weight");
  return Number(embedding?.dimensions[1] ?? 0);
}

/** The model's own name, or its file's: a file is untrusted, and its name field may hold anything. */
function modelName(model: LlamaModel, path: string): string {
  const name: unknown = model.fileInfo.metadata.general.name;
  return typeof name === "string" && name.trim() ? name : basename(path);
}
