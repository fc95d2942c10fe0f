import { readFileSync } from "node:fs";

/** Linux's view of a thread of this process: its state letter (R runnable, S asleep, …) and its scheduling policy (5: SCHED_IDLE). */
export function threadStat(threadId: number | string): { state: string; policy: number } {
  const stat = readFileSync(`/proc/self/task/${String(threadId)}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may hold spaces: state is field 3, policy field 41.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0] ?? "", policy: Number(fields[38]) };
}
