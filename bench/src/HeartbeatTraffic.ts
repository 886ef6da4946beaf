// The heartbeat bench's traffic: each learner plays its lesson 10 s further per call, sent as the stock client's bytes.

/** Media seconds a player reports per heartbeat (it sends one about every 10 s of playback). */
export const STEP_SECONDS = 10

export interface HeartbeatPayload {
  readonly lessonId: string
  readonly mediaPositionSeconds: number
  readonly playedRanges: ReadonlyArray<readonly [number, number]>
  readonly playbackRate: number
}

/** The payload in the contract's field order, as the typed client encodes it. */
export const payloadJson = (payload: HeartbeatPayload) =>
  JSON.stringify({
    lessonId: payload.lessonId,
    mediaPositionSeconds: payload.mediaPositionSeconds,
    playedRanges: payload.playedRanges,
    playbackRate: payload.playbackRate
  })

/** The next `STEP_SECONDS` a learner at `position` plays: from there, or from 0 when the lesson would end first. */
export const nextStep = (position: number, durationSeconds: number): { readonly from: number; readonly to: number } => {
  if (durationSeconds < STEP_SECONDS) throw new RangeError(`a ${durationSeconds} s lesson is shorter than one step`)
  const from = position + STEP_SECONDS <= durationSeconds && position >= 0 ? position : 0
  return { from, to: from + STEP_SECONDS }
}

export class TemplateMismatch extends Error {
  override readonly name = "TemplateMismatch"
}

/**
 * A captured request body cut around its payload and its token: `[before, between, after]` with the payload first
 * when `payloadFirst`, so `fill` makes the bytes the typed client would send for any learner and payload.
 */
export interface RequestTemplate {
  readonly parts: readonly [string, string, string]
  readonly payloadFirst: boolean
}

const onlyIndexOf = (text: string, part: string, what: string) => {
  const index = text.indexOf(part)
  if (index < 0) throw new TemplateMismatch(`the captured request does not contain the ${what}: ${text}`)
  if (text.indexOf(part, index + 1) >= 0) throw new TemplateMismatch(`the ${what} occurs twice in ${text}`)
  return index
}

/** Cuts `captured` (sent with `token` for the payload whose JSON is `payload`); throws unless each occurs once. */
export const templateOf = (captured: string, payload: string, token: string): RequestTemplate => {
  const payloadAt = onlyIndexOf(captured, payload, "payload")
  const tokenAt = onlyIndexOf(captured, token, "token")
  const [first, second] = payloadAt < tokenAt ? [payload, token] : [token, payload]
  const firstAt = Math.min(payloadAt, tokenAt)
  const secondAt = Math.max(payloadAt, tokenAt)
  if (firstAt + first.length > secondAt) throw new TemplateMismatch("the payload and the token overlap")
  return {
    parts: [
      captured.slice(0, firstAt),
      captured.slice(firstAt + first.length, secondAt),
      captured.slice(secondAt + second.length)
    ],
    payloadFirst: payloadAt < tokenAt
  }
}

export const fill = (template: RequestTemplate, payload: string, token: string) => {
  const [before, between, after] = template.parts
  return template.payloadFirst
    ? `${before}${payload}${between}${token}${after}`
    : `${before}${token}${between}${payload}${after}`
}

export interface Learner {
  readonly token: string
  readonly lessonId: string
}

export class NoFreeLearner extends Error {
  override readonly name = "NoFreeLearner"
}

/**
 * Learners handed out one request at a time: `checkout` takes a learner no request in flight is using (so no two
 * concurrent heartbeats wait on one progress row) and moves it `STEP_SECONDS` on; `release` gives it back when the
 * answer came. Positions carry over from run to run; `reset` frees everyone (a run's unanswered requests end with it).
 */
export class HeartbeatTraffic {
  readonly #learners: ReadonlyArray<Learner>
  readonly #durationSeconds: number
  readonly #template: RequestTemplate
  readonly #positions: Array<number>
  #free: Array<number> = []

  constructor(learners: ReadonlyArray<Learner>, durationSeconds: number, template: RequestTemplate) {
    this.#learners = learners
    this.#durationSeconds = durationSeconds
    this.#template = template
    this.#positions = learners.map(() => 0)
    this.reset()
  }

  get size() {
    return this.#learners.length
  }

  get freeCount() {
    return this.#free.length
  }

  reset() {
    // Reversed, so `pop` hands out learner 0 first.
    this.#free = this.#learners.map((_, index) => index).reverse()
  }

  /** The payload learner `index` sends next, advancing it. */
  next(index: number): HeartbeatPayload {
    const learner = this.#learners[index]
    if (learner === undefined) throw new RangeError(`no learner ${index}`)
    const { from, to } = nextStep(this.#positions[index] ?? 0, this.#durationSeconds)
    this.#positions[index] = to
    return { lessonId: learner.lessonId, mediaPositionSeconds: to, playedRanges: [[from, to]], playbackRate: 1 }
  }

  /** A free learner and the body of its next heartbeat. */
  checkout(): { readonly learner: number; readonly body: string } {
    const learner = this.#free.pop()
    if (learner === undefined) throw new NoFreeLearner(`all ${this.#learners.length} learners have a request out`)
    const token = this.#learners[learner]?.token ?? ""
    return { learner, body: fill(this.#template, payloadJson(this.next(learner)), token) }
  }

  release(learner: number) {
    if (learner < 0 || learner >= this.#learners.length || this.#free.includes(learner)) return
    this.#free.push(learner)
  }
}
