// A toy vocabulary for tests that spell text with tokens: ids by text and texts by id.
import assert from "node:assert/strict";
import { defined } from "./defined";

export interface ToyVocabulary {
  /** The id of the token with this text (the test fails when there is none). */
  readonly token: (text: string) => number;
  /** The text of a token: "" for end of text, as a tokenizer gives for control tokens. */
  readonly textOf: (id: number) => string;
}

/** `texts[i]` is token i's text; token `eos` is end of text. */
export function toyVocabulary(texts: readonly string[], eos: number): ToyVocabulary {
  return {
    token: (text) => {
      const id = texts.indexOf(text);
      assert.ok(id >= 0, `no token ${JSON.stringify(text)}`);
      return id;
    },
    textOf: (id) => (id === eos ? "" : defined(texts[id], `token ${id}`)),
  };
}
