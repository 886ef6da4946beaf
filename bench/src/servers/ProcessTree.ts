// Processes by /proc (Linux): the children of a server, what they run, and CPU time including reaped children.
import { existsSync, readdirSync, readFileSync } from "node:fs"

/** The pids of the children of `pid` (of any of its threads); none when it is gone. */
export const childrenOf = (pid: number): ReadonlyArray<number> => {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, "utf8")
        .split(" ")
        .filter((word) => word.trim() !== "")
        .map(Number)
    )
  } catch {
    return []
  }
}

/** `pid` and all its descendants (nginx's master and workers); empty when it is gone. */
export const processTree = (pid: number): ReadonlyArray<number> =>
  existsSync(`/proc/${pid}`) ? [pid, ...childrenOf(pid).flatMap(processTree)] : []

/** The program name of `pid` (`/proc/<pid>/comm`, e.g. `ffmpeg`), or undefined when it is gone. */
export const commandOf = (pid: number): string | undefined => {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim()
  } catch {
    return undefined
  }
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat times. */
const CLOCK_TICKS_PER_SECOND = 100

/** CPU seconds (user + system) of `pid` itself (all threads) and of its reaped children; undefined when it is gone. */
export const cpuSplit = (pid: number): { readonly own: number; readonly children: number } | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((index) => Number(fields[index]))
    if (![utime, stime, cutime, cstime].every(Number.isFinite)) return undefined
    return {
      own: ((utime ?? 0) + (stime ?? 0)) / CLOCK_TICKS_PER_SECOND,
      children: ((cutime ?? 0) + (cstime ?? 0)) / CLOCK_TICKS_PER_SECOND
    }
  } catch {
    return undefined
  }
}

/**
 * CPU seconds (user + system, all threads) of `pid` plus those of its children that exited and were reaped (the
 * ffprobe and ffmpeg runs of a transcode); undefined when the process is gone.
 */
export const cpuWithReapedChildren = (pid: number): number | undefined => {
  const split = cpuSplit(pid)
  return split === undefined ? undefined : split.own + split.children
}
