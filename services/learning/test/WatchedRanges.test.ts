// The watched-set arithmetic: merging, clipping claims to the time budget, and completion at 90%.
import { describe, expect, it } from "@effect/vitest"
import { applyHeartbeat, clipToBudget, coveredSeconds, mergeRanges, playableSeconds } from "../src/WatchedRanges.ts"

describe("watched ranges", () => {
  it("merges overlapping and touching ranges, drops empty ones", () => {
    expect(
      mergeRanges([
        [5, 10],
        [0, 3],
        [3, 4],
        [9, 12],
        [20, 20]
      ])
    ).toEqual([
      [0, 4],
      [5, 12]
    ])
    expect(
      coveredSeconds([
        [0, 10],
        [5, 15]
      ])
    ).toBe(15)
  })

  it("clips claims to the budget in order of their start, within the duration", () => {
    expect(
      clipToBudget(
        [
          [50, 60],
          [0, 100]
        ],
        80,
        30
      )
    ).toEqual([[0, 30]])
    expect(clipToBudget([[70, 200]], 80, 30)).toEqual([[70, 80]])
    expect(
      clipToBudget(
        [
          [0, 5],
          [10, 30]
        ],
        100,
        12
      )
    ).toEqual([
      [0, 5],
      [10, 17]
    ])
  })

  it("allows rate × wall time plus jitter, capping long gaps", () => {
    expect(playableSeconds(10, 1)).toBe(12)
    expect(playableSeconds(10, 2)).toBe(22)
    expect(playableSeconds(3600, 1)).toBe(62)
  })

  it("completes at 90% of the duration, not before", () => {
    const below = applyHeartbeat({
      watched: [[0, 170]],
      claimed: [[170, 179]],
      rate: 1,
      wallSeconds: 10,
      durationSeconds: 200
    })
    expect(below.completed).toBe(false)
    const at = applyHeartbeat({
      watched: [[0, 170]],
      claimed: [[170, 180]],
      rate: 1,
      wallSeconds: 10,
      durationSeconds: 200
    })
    expect(at.completed).toBe(true)
    expect(at.clippedSeconds).toBe(0)
    const forged = applyHeartbeat({ watched: [], claimed: [[0, 190]], rate: 1, wallSeconds: 10, durationSeconds: 200 })
    expect(forged.watched).toEqual([[0, 12]])
    expect(forged.clippedSeconds).toBe(178)
  })
})
