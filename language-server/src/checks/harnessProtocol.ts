// What the check harness (harness.ts, in the child) and the JavaScript runner (in the server) agree
// on: where the program leaves its checks, and the messages the harness sends on fd 3.
import type { CheckOutcome } from "../../../common/protocol";

/** The global the program's last statement sets to its checks. */
export const CHECKS_KEY = Symbol.for("stand.checks");

/** One compiled check: runs its setup, then hands back what to evaluate and what to compare with. */
export type HarnessCheck = () => { readonly actual: () => unknown; readonly expected?: () => unknown };

export type HarnessMessage =
  | { readonly type: "crashed"; readonly message: string }
  | { readonly type: "loaded" }
  | { readonly type: "start"; readonly index: number }
  | {
      readonly type: "result";
      readonly index: number;
      readonly outcome: CheckOutcome;
      readonly actual?: string;
      readonly message?: string;
    }
  | { readonly type: "done" };
