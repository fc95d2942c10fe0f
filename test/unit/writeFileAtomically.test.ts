import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, test } from "node:test";
import { temporaryPathFor, writeFileAtomically } from "../../tools/writeFileAtomically";

const folder = mkdtempSync(join(tmpdir(), "atomic-"));
after(() => {
  rmSync(folder, { recursive: true, force: true });
});

test("writes a new file, making its folder, and leaves no temporary file beside it", () => {
  const path = join(folder, "new", "deeper", "result.json");
  writeFileAtomically(path, '{"ok":true}\n');
  assert.equal(readFileSync(path, "utf8"), '{"ok":true}\n');
  assert.deepEqual(readdirSync(join(folder, "new", "deeper")), ["result.json"]);
});

test("replaces an existing file whole", () => {
  const path = join(folder, "replaced.json");
  writeFileSync(path, "old ".repeat(10_000));
  writeFileAtomically(path, "new");
  assert.equal(readFileSync(path, "utf8"), "new");
});

test("where the file cannot be put in place, throws and leaves what was there, without a temporary file", () => {
  // A folder with something in it cannot be renamed over.
  const path = join(folder, "taken");
  mkdirSync(path);
  writeFileSync(join(path, "inside"), "kept");
  assert.throws(() => {
    writeFileAtomically(path, "new");
  });
  assert.equal(readFileSync(join(path, "inside"), "utf8"), "kept");
  assert.equal(basename(temporaryPathFor(path)), ".taken.partial-" + String(process.pid));
  assert.deepEqual(
    readdirSync(folder).filter((name) => name.includes(".partial-")),
    [],
    "the temporary file is removed",
  );
});
