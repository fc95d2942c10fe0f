import type { LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };

/** "code": continue the text as it is. "chat": a request in words, answered by the model. */
export type PromptKind = "code" | "chat";

export interface PromptInput {
  readonly text: string;
  readonly kind: PromptKind;
  /** Text after the cursor, for fill-in-the-middle when the model has FIM tokens. */
  readonly suffix?: string;
  /** Code from other places in the workspace, shown before the text (code prompts only). */
  readonly context?: readonly ContextChunk[];
  /** The file the text is from, named after the context chunks when the model has a file separator token. */
  readonly path?: string;
}

/** A window of a file the prompt shows besides the text around the cursor. */
export interface ContextChunk {
  /** The file, as the prompt names it. */
  readonly path: string;
  readonly text: string;
}

/**
 * Before each chunk when the model has no file separator token: llama.cpp's /infill header, which
 * llama.vscode's users' models have seen.
 */
export const SNIPPET_HEADER = "\n\n--- snippet ---\n\n";
/** File separator tokens of repository-level FIM training (Qwen2.5-Coder, Qwen3: <|file_sep|>). */
const FILE_SEPARATORS = ["<|file_sep|>", "<|fim_sep|>", "<fim_sep>"];
const fileSeparators = new WeakMap<LlamaModel, Token | null>();

/**
 * The model's file separator token: tokenizer.ggml.fim_sep_token_id where the file has it (the
 * file is untrusted: only an id inside the vocabulary counts), else a known separator that is a
 * single special token of its vocabulary.
 */
export function fileSeparatorToken(model: LlamaModel): Token | undefined {
  let token = fileSeparators.get(model);
  if (token === undefined) {
    const metadata: { tokenizer?: { ggml?: { fim_sep_token_id?: unknown; tokens?: unknown } } } = model.fileInfo.metadata;
    const id = metadata.tokenizer?.ggml?.fim_sep_token_id;
    const vocabulary = metadata.tokenizer?.ggml?.tokens;
    const size = Array.isArray(vocabulary) ? vocabulary.length : 0;
    token =
      typeof id === "number" && Number.isInteger(id) && id >= 0 && id < size
        ? (id as Token)
        : (FILE_SEPARATORS.map((text) => model.tokenize(text, true)).find((tokens) => tokens.length === 1)?.[0] ?? null);
    fileSeparators.set(model, token);
  }
  return token ?? undefined;
}

/** A chunk's tokens with its header: <|file_sep|>path, or the snippet header. */
export function chunkTokens(model: LlamaModel, chunk: ContextChunk): Token[] {
  const separator = fileSeparatorToken(model);
  const header = separator === undefined ? model.tokenize(SNIPPET_HEADER) : [separator, ...model.tokenize(`${chunk.path}\n`)];
  return [...header, ...model.tokenize(chunk.text)];
}

/** The context chunks' tokens, then (with a file separator) the current file's header. */
function contextTokens(model: LlamaModel, chunks: readonly ContextChunk[], path = "file"): Token[] {
  if (chunks.length === 0) return [];
  const separator = fileSeparatorToken(model);
  const tokens = chunks.flatMap((chunk) => chunkTokens(model, chunk));
  if (separator !== undefined) tokens.push(separator, ...model.tokenize(`${path}\n`));
  return tokens;
}

export function hasChatTemplate(model: LlamaModel): boolean {
  // The file is untrusted: its metadata may lack the tokenizer section, whatever the typings say.
  const metadata: { tokenizer?: { chat_template?: unknown } } = model.fileInfo.metadata;
  return typeof metadata.tokenizer?.chat_template === "string";
}

export function supportsFillInTheMiddle(model: LlamaModel): boolean {
  const { prefix, suffix, middle } = model.tokens.infill;
  return prefix != null && suffix != null && middle != null;
}

/**
 * The tokens to decode from. Code is raw completion (prefix-suffix-middle when a suffix is given
 * and the model has FIM tokens). A chat prompt goes through node-llama-cpp's chat wrapper for the
 * model's own template, so instruct and reasoning models (and their thinking segments) see what
 * they were trained on; a base model without a template gets the request as a code comment.
 */
export async function tokenizePrompt(model: LlamaModel, input: PromptInput): Promise<Token[]> {
  if (input.kind === "chat") {
    if (!hasChatTemplate(model)) return model.tokenize(`// Task: ${input.text.trim().replace(/\n/g, "\n// ")}\n`);
    const { resolveChatWrapper } = await import("node-llama-cpp");
    const { contextText } = resolveChatWrapper(model).generateContextState({
      chatHistory: [
        { type: "user", text: input.text },
        { type: "model", response: [] },
      ],
    });
    return contextText.tokenize(model.tokenizer);
  }
  // As llama.cpp's /infill: the workspace's chunks first, then the prefix-suffix-middle.
  const context = contextTokens(model, input.context ?? [], input.path);
  const { prefix, suffix, middle } = model.tokens.infill;
  if (input.suffix !== undefined && prefix != null && suffix != null && middle != null) {
    return [...context, prefix, ...model.tokenize(input.text), suffix, ...model.tokenize(input.suffix), middle];
  }
  return [...context, ...model.tokenize(input.text)];
}
