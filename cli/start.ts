// Entry point of `npm start` (scripts/start.mjs builds the bundles, then loads this file through
// tsx). Everything else is in main.ts.
import { run } from "./main";

void run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // Nothing should be left running; if something is, it must not keep the terminal waiting.
  setTimeout(() => process.exit(code), 2000).unref();
});
