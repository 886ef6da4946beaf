// The heartbeat bench's pure parts: request bytes from a captured template, learners' steps, checkout, viewers per core.
import { describe, expect, it } from "@effect/vitest"
import { viewerLines, viewersPerCore } from "../src/HeartbeatSection.ts"
import {
  fill,
  HeartbeatTraffic,
  NoFreeLearner,
  nextStep,
  payloadJson,
  STEP_SECONDS,
  TemplateMismatch,
  templateOf
} from "../src/HeartbeatTraffic.ts"
import { settingsFromEnv } from "../src/Settings.ts"
import { heartbeatInputOf } from "../src/servers/HeartbeatBaseline.ts"

const LESSON = "2e60c6b1-09ed-4c7d-9a50-24f142c75a04"
const first = { lessonId: LESSON, mediaPositionSeconds: 10, playedRanges: [[0, 10]] as const, playbackRate: 1 }
const captured = (payload: string, token: string) =>
  `{"_tag":"Request","id":"7","tag":"progress.heartbeat","payload":${payload},"traceId":"t","spanId":"s",` +
  `"sampled":true,"headers":[["authorization","Bearer ${token}"]]}\n`

describe("the request template", () => {
  it("refills to the captured bytes, and to another learner's and position's", () => {
    const template = templateOf(captured(payloadJson(first), "tok.en.A"), payloadJson(first), "tok.en.A")
    expect(fill(template, payloadJson(first), "tok.en.A")).toBe(captured(payloadJson(first), "tok.en.A"))
    const later = { ...first, mediaPositionSeconds: 30, playedRanges: [[20, 30]] as const }
    expect(fill(template, payloadJson(later), "tok.en.B")).toBe(captured(payloadJson(later), "tok.en.B"))
  })
  it("works with the token before the payload", () => {
    const body = `{"headers":[["authorization","Bearer tok"]],"payload":${payloadJson(first)}}`
    const template = templateOf(body, payloadJson(first), "tok")
    expect(template.payloadFirst).toBe(false)
    expect(fill(template, "{}", "other")).toBe(`{"headers":[["authorization","Bearer other"]],"payload":{}}`)
  })
  it("refuses a capture whose payload is encoded otherwise, or whose token repeats", () => {
    const other = `{"playbackRate":1,"lessonId":"${LESSON}","mediaPositionSeconds":10,"playedRanges":[[0,10]]}`
    expect(() => templateOf(captured(other, "tok"), payloadJson(first), "tok")).toThrow(TemplateMismatch)
    expect(() => templateOf(`${captured(payloadJson(first), "tok")}tok`, payloadJson(first), "tok")).toThrow(
      /occurs twice/
    )
  })
  it("writes the payload in the contract's field order", () => {
    expect(payloadJson({ playbackRate: 1, playedRanges: [[0, 10]], mediaPositionSeconds: 10, lessonId: LESSON })).toBe(
      `{"lessonId":"${LESSON}","mediaPositionSeconds":10,"playedRanges":[[0,10]],"playbackRate":1}`
    )
  })
})

describe("a learner's steps", () => {
  it("plays 10 s on from where it is, and starts over before passing the end", () => {
    expect(nextStep(0, 600)).toEqual({ from: 0, to: STEP_SECONDS })
    expect(nextStep(580, 600)).toEqual({ from: 580, to: 590 })
    expect(nextStep(590, 600)).toEqual({ from: 590, to: 600 })
    expect(nextStep(600, 600)).toEqual({ from: 0, to: 10 })
    expect(nextStep(-5, 600)).toEqual({ from: 0, to: 10 })
    expect(() => nextStep(0, 5)).toThrow(RangeError)
  })
  it("every range the traffic sends is valid for the lesson: from < to ≤ duration, position = to", () => {
    const traffic = new HeartbeatTraffic([{ token: "a", lessonId: LESSON }], 95, templateOf("P T", "P", "T"))
    for (let call = 0; call < 50; call++) {
      const payload = traffic.next(0)
      const [[from, to] = [0, 0]] = payload.playedRanges
      expect(from).toBeLessThan(to)
      expect(to).toBeLessThanOrEqual(95)
      expect(payload.mediaPositionSeconds).toBe(to)
      expect(payload.playbackRate).toBe(1)
      expect(heartbeatInputOf(payload)).toEqual(payload)
    }
  })
})

describe("checking learners out", () => {
  const learners = ["a", "b", "c"].map((token) => ({ token, lessonId: LESSON }))
  const traffic = () => new HeartbeatTraffic(learners, 600, templateOf("P|T", "P", "T"))

  it("never hands out a learner with a request in flight, and takes them back", () => {
    const t = traffic()
    const out = [t.checkout(), t.checkout(), t.checkout()]
    expect(new Set(out.map((o) => o.learner)).size).toBe(3)
    expect(() => t.checkout()).toThrow(NoFreeLearner)
    t.release(out[1]?.learner ?? -1)
    expect(t.checkout().learner).toBe(out[1]?.learner)
  })
  it("a learner's body is its token and its next position; positions carry over a reset", () => {
    const t = traffic()
    const a = t.checkout()
    expect(a.body).toBe(`${payloadJson({ ...first, lessonId: LESSON })}|a`)
    t.release(a.learner)
    t.checkout()
    t.reset()
    expect(t.freeCount).toBe(3)
    const again = t.checkout()
    expect(again.learner).toBe(0)
    expect(again.body).toContain('"playedRanges":[[20,30]]')
  })
  it("ignores releases of unknown or already free learners", () => {
    const t = traffic()
    t.release(7)
    t.release(0)
    expect(t.freeCount).toBe(3)
  })
})

describe("the baseline's payload checks", () => {
  it("refuses what the contract refuses", () => {
    expect(heartbeatInputOf({ ...first, playedRanges: [[10, 0]] })).toMatch(/end after it starts/)
    expect(heartbeatInputOf({ ...first, playedRanges: [[-1, 3]] })).toMatch(/0 to 86,400/)
    expect(heartbeatInputOf({ ...first, playedRanges: [[0, Number.NaN]] })).toMatch(/0 to 86,400/)
    expect(heartbeatInputOf({ ...first, playbackRate: 8 })).toMatch(/0.25 to 4/)
    expect(heartbeatInputOf({ ...first, extra: 1 })).toMatch(/unexpected field/)
    expect(heartbeatInputOf({ ...first, lessonId: "x" })).toMatch(/UUID/)
    const many = Array.from({ length: 101 }, (_, i) => [i, i + 0.5])
    expect(heartbeatInputOf({ ...first, playedRanges: many })).toMatch(/at most 100/)
  })
})

describe("viewers per core", () => {
  it("is the heartbeat interval ÷ the CPU one heartbeat costs", () => {
    expect(viewersPerCore(2, 10)).toBe(5000)
    expect(viewersPerCore(0.5, 10)).toBe(20_000)
    expect(viewersPerCore(null, 10)).toBeUndefined()
    expect(viewersPerCore(0, 10)).toBeUndefined()
  })
  it("also states the 2-core assumption and what the box carries", () => {
    const [measuredLine, assumed] = viewerLines(
      { requestsPerSecond: 400, p50Ms: 1, p99Ms: 2, cpuMsPerRequest: 2 },
      2,
      10
    )
    expect(measuredLine).toMatch(/^concurrent viewers per core: 5000 /)
    expect(assumed).toMatch(/4000 viewers .* 2 cores = 2000 per core/)
  })
})

describe("settings", () => {
  it("runs the heartbeat section at 64 connections unless told otherwise", () => {
    expect(settingsFromEnv({}, "/x.json").heartbeatConnections).toBe(64)
    const settings = settingsFromEnv({ BENCH_SECTIONS: "heartbeat", BENCH_HEARTBEAT_CONNECTIONS: "16" }, "/x.json")
    expect(settings).toMatchObject({ sections: ["heartbeat"], heartbeatConnections: 16 })
    expect(() => settingsFromEnv({ BENCH_HEARTBEAT_CONNECTIONS: "0" }, "/x.json")).toThrow(
      /BENCH_HEARTBEAT_CONNECTIONS/
    )
  })
})
