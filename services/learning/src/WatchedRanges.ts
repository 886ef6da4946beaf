// What a learner really watched: played ranges merged into a set, with claims the elapsed time cannot explain clipped.
//
// A player reports the ranges it played since its last heartbeat. At playback rate r, w seconds of wall time play at
// most r·w seconds of media, so the server accepts, in the order they were played (by start), at most that much of
// the claimed ranges — measured on its own clock between heartbeats — plus a small allowance for timer jitter. A
// seek plays nothing, so jumping to 95% and playing 10 s adds 10 s, not 95%.

/** A half-open range of media seconds [from, to). */
export type Range = readonly [number, number]

/** Seconds of allowance per heartbeat for timers and network jitter. */
export const JITTER_SECONDS = 2
/** Wall time credited to a lesson's first heartbeat (players send one about every 10 s). */
export const FIRST_HEARTBEAT_WALL_SECONDS = 15
/** A longer gap (a paused tab, a laptop asleep) credits at most this much wall time. */
export const MAX_WALL_SECONDS = 60
/** The share of a video's duration that completes it. */
export const COMPLETION_SHARE = 0.9

/** Sorted, disjoint, non-empty ranges covering the same seconds as `ranges`. */
export const mergeRanges = (ranges: ReadonlyArray<Range>): Array<Range> => {
  const sorted = ranges.filter(([from, to]) => to > from).sort((a, b) => a[0] - b[0] || a[1] - b[1])
  const merged: Array<[number, number]> = []
  for (const [from, to] of sorted) {
    const last = merged[merged.length - 1]
    if (last !== undefined && from <= last[1]) last[1] = Math.max(last[1], to)
    else merged.push([from, to])
  }
  return merged
}

export const coveredSeconds = (ranges: ReadonlyArray<Range>) =>
  mergeRanges(ranges).reduce((total, [from, to]) => total + (to - from), 0)

/**
 * The part of `claimed` the elapsed wall time allows: ranges clamped to [0, duration], then taken in order of their
 * start until `budget` media seconds are used (the last one cut short).
 */
export const clipToBudget = (claimed: ReadonlyArray<Range>, durationSeconds: number, budget: number): Array<Range> => {
  const clamped = claimed
    .map(([from, to]): Range => [Math.max(0, from), Math.min(durationSeconds, to)])
    .filter(([from, to]) => to > from)
    .sort((a, b) => a[0] - b[0])
  const accepted: Array<Range> = []
  let left = budget
  for (const [from, to] of mergeRanges(clamped)) {
    if (left <= 0) break
    const length = Math.min(to - from, left)
    accepted.push([from, from + length])
    left -= length
  }
  return accepted
}

/** Media seconds that `wallSeconds` of playback at `rate` can have played, with the jitter allowance. */
export const playableSeconds = (wallSeconds: number, rate: number) =>
  Math.max(0, Math.min(wallSeconds, MAX_WALL_SECONDS)) * rate + JITTER_SECONDS

export interface HeartbeatOutcome {
  /** The learner's watched set after this heartbeat. */
  readonly watched: Array<Range>
  /** Seconds of the claim that were not accepted (for logs and tests). */
  readonly clippedSeconds: number
  readonly watchedShare: number
  readonly completed: boolean
}

/**
 * Applies one heartbeat: `wallSeconds` since the previous one on the server's clock (undefined for the first),
 * the claimed ranges and the rate, to the watched set so far.
 */
export const applyHeartbeat = (input: {
  readonly watched: ReadonlyArray<Range>
  readonly claimed: ReadonlyArray<Range>
  readonly rate: number
  readonly wallSeconds: number | undefined
  readonly durationSeconds: number
}): HeartbeatOutcome => {
  const budget = playableSeconds(input.wallSeconds ?? FIRST_HEARTBEAT_WALL_SECONDS, input.rate)
  const accepted = clipToBudget(input.claimed, input.durationSeconds, budget)
  const claimedSeconds = coveredSeconds(
    input.claimed.map(([from, to]): Range => [Math.max(0, from), Math.min(input.durationSeconds, to)])
  )
  const watched = mergeRanges([...input.watched, ...accepted])
  const share = input.durationSeconds > 0 ? Math.min(1, coveredSeconds(watched) / input.durationSeconds) : 0
  return {
    watched,
    clippedSeconds: Math.max(0, claimedSeconds - coveredSeconds(accepted)),
    watchedShare: share,
    completed: share >= COMPLETION_SHARE
  }
}
