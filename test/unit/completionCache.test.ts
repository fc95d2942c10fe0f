import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CompletionCache } from "../../language-server/src/completionCache";

const model = {};
const settings = JSON.stringify({ temperature: 0.7 });

describe("completion cache", () => {
  test("a window computed before is a hit, any other a miss", () => {
    const cache = new CompletionCache();
    cache.ownedBy(model, settings);
    cache.set("const a = ", "\n}", ["1;", "2;"]);
    assert.deepEqual(cache.lookup("const a = ", "\n}"), { completions: ["1;", "2;"], typedThrough: 0, prefetched: false });
    assert.equal(cache.lookup("const a = ", "\n}\n"), undefined, "another suffix");
    assert.equal(cache.lookup("const b = ", "\n}"), undefined, "another prefix");
    cache.set("let x", "", []);
    assert.deepEqual(cache.lookup("let x", ""), { completions: [], typedThrough: 0, prefetched: false }, "no completion is an answer too");
  });

  test("typing the start of a cached completion leaves its rest; a completion the typing contradicts is dropped", () => {
    const cache = new CompletionCache();
    cache.ownedBy(model, settings);
    cache.set("function f() {\n  return ", "\n}", ["value + 1;", "other;", "val"]);
    assert.deepEqual(cache.lookup("function f() {\n  return val", "\n}"), { completions: ["ue + 1;"], typedThrough: 3, prefetched: false });
    assert.equal(cache.lookup("function f() {\n  return x", "\n}"), undefined, "nothing cached starts with x");
    assert.equal(cache.lookup("function f() {\n  return value + 1;", "\n}"), undefined, "the whole completion typed leaves nothing");
  });

  test("typing through does not reach back over a line break", () => {
    const cache = new CompletionCache();
    cache.ownedBy(model, settings);
    cache.set("a", "", ["\nb = 1"]);
    assert.equal(cache.lookup("a\nb", ""), undefined);
  });

  test("the least recently used entry goes first", () => {
    const cache = new CompletionCache(2);
    cache.ownedBy(model, settings);
    cache.set("one", "", ["1"]);
    cache.set("two", "", ["2"]);
    assert.ok(cache.lookup("one", ""), "one is now the most recently used");
    cache.set("three", "", ["3"]);
    assert.equal(cache.size, 2);
    assert.equal(cache.lookup("two", ""), undefined);
    assert.ok(cache.lookup("one", ""));
    assert.ok(cache.lookup("three", ""));
  });

  test("another model or other settings empty it", () => {
    const cache = new CompletionCache();
    cache.ownedBy(model, settings);
    cache.set("x", "", ["1"]);
    cache.ownedBy(model, settings);
    assert.ok(cache.lookup("x", ""), "the same owner keeps the entries");
    cache.ownedBy(model, JSON.stringify({ temperature: 0.2 }));
    assert.equal(cache.lookup("x", ""), undefined, "settings changed");
    cache.set("x", "", ["1"]);
    cache.ownedBy({}, JSON.stringify({ temperature: 0.2 }));
    assert.equal(cache.lookup("x", ""), undefined, "model changed");
  });

  test("a prefetched entry says so on its first use only", () => {
    const cache = new CompletionCache();
    cache.ownedBy(model, settings);
    cache.set("x", "", ["1"], true);
    assert.equal(cache.lookup("x", "")?.prefetched, true);
    assert.equal(cache.lookup("x", "")?.prefetched, false);
  });
});
