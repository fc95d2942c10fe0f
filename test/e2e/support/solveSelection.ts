// Starting a solve from the palette and telling it apart from the one the panel showed before.
import type { FrameLocator } from "playwright-core";
import { waitUntil } from "./waitUntil";
import type { Workbench } from "./workbench";

/** The id of the solve the panel shows, or null before the first. */
const shownSolveId = (panel: FrameLocator): Promise<string | null> =>
  panel
    .locator("#solve")
    .getAttribute("data-solve-id", { timeout: 1000 })
    .catch(() => null);

/**
 * Solves the editor's selection and resolves to the new solve's id once the panel shows it (a
 * short one may be done by then). Waiting for the id matters: until the new solve arrives the
 * panel still shows the last one, whose phase is already "done".
 */
export async function solveSelection(workbench: Workbench, panel: FrameLocator): Promise<string> {
  const before = await shownSolveId(panel);
  await workbench.runCommand("STAND: Solve Selection with N Candidates");
  return waitUntil(
    () => shownSolveId(panel),
    (shown): shown is string => shown !== null && shown !== before,
    "the new solve in the panel",
    30_000,
  );
}
