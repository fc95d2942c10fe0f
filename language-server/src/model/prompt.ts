import type { LlamaModel, Token } from "node-llama-cpp" with { "resolution-mode": "import" };

/** "code": continue the text as it is. "chat": a request in words, answered by the model. */
export type PromptKind = "code" | "chat";

export interface PromptInput {
  readonly text: string;
  readonly kind: PromptKind;
  /** Text after the cursor, for fill-in-the-middle when the model has FIM tokens. */
  readonly suffix?: string;
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
  const { prefix, suffix, middle } = model.tokens.infill;
  if (input.suffix !== undefined && prefix != null && suffix != null && middle != null) {
    return [prefix, ...model.tokenize(input.text), suffix, ...model.tokenize(input.suffix), middle];
  }
  return model.tokenize(input.text);
}
