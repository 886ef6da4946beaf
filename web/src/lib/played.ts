// What the player really played between two heartbeats, measured from the video element's timeupdate events: a
// range grows while playback advances smoothly and closes on a pause, a seek or a jump.

export type Range = readonly [number, number]

/** The most a range may advance between two timeupdates (~250 ms apart) before it counts as a jump. */
const maxStep = (rate: number) => 1.5 * Math.max(1, rate) + 0.5

export interface PlayedTracker {
  /** Playback (re)started at `at`. */
  readonly start: (at: number) => void
  /** A timeupdate at `at`, while playing at `rate`. */
  readonly advance: (at: number, rate: number) => void
  /** Paused, ended or seeking: the open range closes (at `at` when that is a smooth step). */
  readonly stop: (at?: number) => void
  /**
   * The ranges played since the last take, merged, clamped to [0, duration], at most 100 (the contract's cap); a
   * range still open continues from where it was cut.
   */
  readonly take: (duration: number) => Array<Range>
}

export const mergeRanges = (ranges: ReadonlyArray<Range>): Array<Range> => {
  const sorted = ranges.filter(([from, to]) => to > from).sort((a, b) => a[0] - b[0])
  const merged: Array<[number, number]> = []
  for (const [from, to] of sorted) {
    const last = merged[merged.length - 1]
    if (last !== undefined && from <= last[1]) last[1] = Math.max(last[1], to)
    else merged.push([from, to])
  }
  return merged
}

export const makePlayedTracker = (): PlayedTracker => {
  let closed: Array<Range> = []
  let open: [number, number] | undefined
  const close = () => {
    if (open !== undefined && open[1] > open[0]) closed.push([open[0], open[1]])
    open = undefined
  }
  return {
    start: (at) => {
      close()
      open = [at, at]
    },
    advance: (at, rate) => {
      if (open === undefined) return
      if (at >= open[1] && at - open[1] <= maxStep(rate)) {
        open[1] = at
      } else {
        close()
        open = [at, at]
      }
    },
    stop: (at) => {
      if (open !== undefined && at !== undefined && at >= open[1] && at - open[1] <= maxStep(1)) open[1] = at
      close()
    },
    take: (duration) => {
      const end = open?.[1]
      close()
      if (end !== undefined) open = [end, end]
      const limit = Number.isFinite(duration) && duration > 0 ? duration : Number.POSITIVE_INFINITY
      const ranges = mergeRanges(closed.map(([from, to]): Range => [Math.max(0, from), Math.min(limit, to)]))
        // Sub-frame slivers are noise.
        .filter(([from, to]) => to - from >= 0.04)
        .map(([from, to]): Range => [Math.round(from * 1000) / 1000, Math.round(to * 1000) / 1000])
      closed = []
      return ranges.slice(-100)
    }
  }
}
