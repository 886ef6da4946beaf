// Quiz grading and learner views: every question kind graded, answers that do not fit refused, the late policy,
// explanations per setting, views that leak nothing of the answers, the seeded shuffle, and authoring validation.

import { describe, expect, it } from "@effect/vitest"
import {
  AnswerInput as AnswerInputSchema,
  AttemptId,
  AttemptView,
  type QuestionInput,
  QuestionInput as QuestionInputSchema,
  Questions,
  QuestionView,
  QuizInput,
  QuizSettings,
  QuizUpdate,
  SubmitInput
} from "@lectern/contracts/LearningQuiz"
import { QuizId } from "@lectern/domain"
import { DateTime, Duration, Either, ParseResult, Schema } from "effect"
import {
  checkAnswers,
  type Grade,
  type GradingSettings,
  gradeAttempt,
  lateSubmissionGrace,
  normaliseAnswerText,
  seededShuffle,
  viewForLearner,
  withinTolerance
} from "../src/QuizGrading.ts"

const attemptId = AttemptId.make("7c9e6679-7425-40de-944b-e07fc1f90ae7")
const startedAt = DateTime.unsafeMake("2030-01-01T10:00:00Z")
const deadline = DateTime.unsafeMake("2030-01-01T10:10:00Z")
const onTime = { attemptId, submittedAt: DateTime.unsafeMake("2030-01-01T10:05:00Z"), deadline }
const showAll: GradingSettings = { passingScorePercent: 50, showExplanations: "afterSubmit" }

const decodeQuestion = Schema.decodeUnknownSync(QuestionInputSchema)
const decodeAnswer = Schema.decodeUnknownSync(AnswerInputSchema)

/** The grade, or the test fails with the error. */
const gradeOf = (
  questions: ReadonlyArray<QuestionInput>,
  answers: ReadonlyArray<unknown>,
  settings: GradingSettings = showAll,
  submission = onTime
): Grade => {
  const result = gradeAttempt(
    questions,
    answers.map((answer) => decodeAnswer(answer)),
    settings,
    submission
  )
  if (Either.isLeft(result))
    throw new Error(`expected a grade, got ${result.left._tag}: ${JSON.stringify(result.left)}`)
  return result.right
}

/** The result of one question given one answer (or none). */
const resultOf = (question: QuestionInput, answer?: Record<string, unknown>) => {
  const answers = answer === undefined ? [] : [{ kind: question.kind, questionId: question.id, ...answer }]
  return gradeOf([question], answers).results[0]!
}

/** The error message of a refused submission, or the test fails. */
const refusal = (questions: ReadonlyArray<QuestionInput>, answers: ReadonlyArray<unknown>) => {
  const result = gradeAttempt(
    questions,
    answers.map((answer) => decodeAnswer(answer)),
    showAll,
    onTime
  )
  if (Either.isRight(result)) throw new Error("expected the answers to be refused")
  return result.left
}

/** Every problem decoding `input` reports, as `path: message`. */
const problemsOf = <A, I>(schema: Schema.Schema<A, I>, input: unknown): Array<string> =>
  Either.match(Schema.decodeUnknownEither(schema)(input, { errors: "all" }), {
    onLeft: (error) =>
      ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => `${issue.path.join(".")}: ${issue.message}`),
    onRight: () => []
  })

const options = (...ids: Array<string>) => ids.map((id) => ({ id, text: `Option ${id.toUpperCase()}` }))

// ---------------------------------------------------------------- one quiz with every kind

const single = decodeQuestion({
  kind: "single",
  id: "q-single",
  prompt: "Which function runs an effect?",
  options: [
    { id: "k3v", text: "Effect.runPromise" },
    { id: "p8x", text: "Effect.succeed" },
    { id: "z1m", text: "Effect.map" }
  ],
  correctOptionId: "k3v",
  explanation: "SECRET-EXPLANATION-single runPromise runs it"
})
const multiple = decodeQuestion({
  kind: "multiple",
  id: "q-multiple",
  prompt: "Which of these are data types of Effect?",
  options: options("ma", "mb", "mc", "md", "me"),
  correctOptionIds: ["ma", "mb", "mc"],
  partialCredit: true,
  points: 3,
  explanation: "SECRET-EXPLANATION-multiple"
})
const multipleStrict = decodeQuestion({
  kind: "multiple",
  id: "q-multiple-strict",
  prompt: "Pick both",
  options: options("sa", "sb", "sc"),
  correctOptionIds: ["sa", "sb"],
  points: 2
})
const trueFalse = decodeQuestion({
  kind: "trueFalse",
  id: "q-true-false",
  prompt: "Effects are eager.",
  correct: false,
  explanation: "SECRET-EXPLANATION-trueFalse they are lazy"
})
const shortText = decodeQuestion({
  kind: "shortText",
  id: "q-short-text",
  prompt: "Name a hot drink with milk.",
  acceptedAnswers: ["Cafe\u0301 au lait", "Flat white"],
  explanation: "SECRET-EXPLANATION-shortText"
})
const shortTextCase = decodeQuestion({
  kind: "shortText",
  id: "q-short-text-case",
  prompt: "The generator constructor?",
  acceptedAnswers: ["Effect.gen"],
  caseSensitive: true
})
const numeric = decodeQuestion({
  kind: "numeric",
  id: "q-numeric",
  prompt: "How long is a marathon, in kilometres?",
  answer: 42.195,
  tolerance: 0.0375,
  explanation: "SECRET-EXPLANATION-numeric"
})
const ordering = decodeQuestion({
  kind: "ordering",
  id: "q-ordering",
  prompt: "Order the pipeline",
  items: [
    { id: "i7", text: "Parse" },
    { id: "i2", text: "Validate" },
    { id: "i9", text: "Store" },
    { id: "i4", text: "Notify" }
  ],
  explanation: "SECRET-EXPLANATION-ordering"
})
const matching = decodeQuestion({
  kind: "matching",
  id: "q-matching",
  prompt: "Match each module with what it does",
  pairs: [
    { left: { id: "la", text: "Schema" }, right: { id: "rx", text: "validates data" } },
    { left: { id: "lb", text: "Stream" }, right: { id: "ry", text: "emits many values" } },
    { left: { id: "lc", text: "Layer" }, right: { id: "rz", text: "builds services" } },
    { left: { id: "ld", text: "Schedule" }, right: { id: "rw", text: "repeats and retries" } }
  ],
  points: 4,
  explanation: "SECRET-EXPLANATION-matching"
})
/** A one-point matching of three pairs, and an answer with two of them right. */
const threePairs = decodeQuestion({
  kind: "matching",
  id: "q-three-pairs",
  prompt: "Three",
  pairs: [0, 1, 2].map((index) => ({ left: { id: `l${index}`, text: "l" }, right: { id: `r${index}`, text: "r" } }))
})
const twoOfThreePairs = {
  pairs: [
    { leftId: "l0", rightId: "r0" },
    { leftId: "l1", rightId: "r1" }
  ]
}
const everyKind = [single, multiple, trueFalse, shortText, numeric, ordering, matching]

const allRight = [
  { kind: "single", questionId: "q-single", optionId: "k3v" },
  { kind: "multiple", questionId: "q-multiple", optionIds: ["mc", "ma", "mb"] },
  { kind: "trueFalse", questionId: "q-true-false", value: false },
  { kind: "shortText", questionId: "q-short-text", text: "café au lait" },
  { kind: "numeric", questionId: "q-numeric", value: 42.2 },
  { kind: "ordering", questionId: "q-ordering", itemIds: ["i7", "i2", "i9", "i4"] },
  {
    kind: "matching",
    questionId: "q-matching",
    pairs: [
      { leftId: "lb", rightId: "ry" },
      { leftId: "la", rightId: "rx" },
      { leftId: "ld", rightId: "rw" },
      { leftId: "lc", rightId: "rz" }
    ]
  }
]

// ---------------------------------------------------------------- grading

describe("grading each kind", () => {
  it("single choice: the correct option only", () => {
    expect(resultOf(single, { optionId: "k3v" })).toMatchObject({ pointsAwarded: 1, pointsPossible: 1, correct: true })
    expect(resultOf(single, { optionId: "p8x" })).toMatchObject({ pointsAwarded: 0, correct: false })
  })

  it("multiple choice without partial credit: the exact set, or nothing", () => {
    expect(resultOf(multipleStrict, { optionIds: ["sb", "sa"] })).toMatchObject({ pointsAwarded: 2, correct: true })
    expect(resultOf(multipleStrict, { optionIds: ["sa"] })).toMatchObject({ pointsAwarded: 0, correct: false })
    expect(resultOf(multipleStrict, { optionIds: ["sa", "sb", "sc"] })).toMatchObject({ pointsAwarded: 0 })
    expect(resultOf(multipleStrict, { optionIds: [] })).toMatchObject({ pointsAwarded: 0 })
  })

  it("multiple choice with partial credit: (correct picked − wrong picked) / correct total, never below 0", () => {
    // 3 points, correct: ma mb mc; wrong: md me
    expect(resultOf(multiple, { optionIds: ["ma", "mb", "mc"] })).toMatchObject({ pointsAwarded: 3, correct: true })
    expect(resultOf(multiple, { optionIds: ["ma", "mb"] })).toMatchObject({ pointsAwarded: 2, correct: false })
    expect(resultOf(multiple, { optionIds: ["ma", "mb", "md"] })).toMatchObject({ pointsAwarded: 1, correct: false })
    expect(resultOf(multiple, { optionIds: ["ma", "mb", "mc", "md"] })).toMatchObject({ pointsAwarded: 2 })
    expect(resultOf(multiple, { optionIds: ["ma", "md", "me"] })).toMatchObject({ pointsAwarded: 0 })
    expect(resultOf(multiple, { optionIds: ["md"] })).toMatchObject({ pointsAwarded: 0 })
    const onePoint = decodeQuestion({ ...Schema.encodeSync(QuestionInputSchema)(multiple), points: 1 })
    expect(resultOf(onePoint, { optionIds: ["ma", "mb"] }).pointsAwarded).toBe(0.67)
  })

  it("true/false", () => {
    expect(resultOf(trueFalse, { value: false })).toMatchObject({ pointsAwarded: 1, correct: true })
    expect(resultOf(trueFalse, { value: true })).toMatchObject({ pointsAwarded: 0, correct: false })
  })

  it("short text: NFC, trimmed, inner whitespace collapsed, case-insensitive, any accepted answer", () => {
    const right = (text: string) => resultOf(shortText, { text }).correct
    expect(right("Caf\u00e9 au lait")).toBe(true) // composed é against the decomposed accepted answer
    expect(right("Cafe\u0301 au lait")).toBe(true) // decomposed too
    expect(right("  café \t au\n lait  ")).toBe(true)
    expect(right("CAFÉ AU LAIT")).toBe(true)
    expect(right("flat   WHITE")).toBe(true)
    expect(right("cafe au lait")).toBe(false) // the accent matters
    expect(right("café-au-lait")).toBe(false)
    expect(right("")).toBe(false)
  })

  it("short text with caseSensitive: case matters, whitespace still does not", () => {
    expect(resultOf(shortTextCase, { text: " Effect.gen " }).correct).toBe(true)
    expect(resultOf(shortTextCase, { text: "effect.gen" }).correct).toBe(false)
    expect(normaliseAnswerText("  A\u00a0 B ", true)).toBe("A B")
  })

  it("numeric: within the tolerance, edges included", () => {
    const right = (question: QuestionInput, value: number) => resultOf(question, { value }).correct
    const ten = decodeQuestion({ kind: "numeric", id: "n", prompt: "Ten", answer: 10, tolerance: 0.5 })
    expect(right(ten, 10)).toBe(true)
    expect(right(ten, 10.5)).toBe(true)
    expect(right(ten, 9.5)).toBe(true)
    expect(right(ten, 10.5001)).toBe(false)
    expect(right(ten, 9.4999)).toBe(false)
    // decimal tolerances hold despite binary floating point: |0.9 − 1.1| is 0.20000000000000007
    const decimal = decodeQuestion({ kind: "numeric", id: "n", prompt: "1.1", answer: 1.1, tolerance: 0.2 })
    expect(right(decimal, 0.9)).toBe(true)
    expect(right(decimal, 1.3)).toBe(true)
    expect(right(decimal, 0.8999)).toBe(false)
    const kelvin = decodeQuestion({ kind: "numeric", id: "n", prompt: "0 °C", answer: -273.15, tolerance: 0.01 })
    expect(right(kelvin, -273.16)).toBe(true)
    expect(right(kelvin, -273.14)).toBe(true)
    expect(right(kelvin, -273.17)).toBe(false)
    // tolerance defaults to 0: exact, but 0.1 + 0.2 is 0.3
    const exact = decodeQuestion({ kind: "numeric", id: "n", prompt: "0.3", answer: 0.3 })
    expect(right(exact, 0.1 + 0.2)).toBe(true)
    expect(right(exact, 0.3001)).toBe(false)
    expect(withinTolerance(1e12 + 1, 1e12, 0)).toBe(false)
    expect(resultOf(numeric, { value: 42.195 + 0.0375 }).correct).toBe(true)
    expect(resultOf(numeric, { value: 42.3 }).correct).toBe(false)
  })

  it("ordering: the exact order or nothing", () => {
    expect(resultOf(ordering, { itemIds: ["i7", "i2", "i9", "i4"] })).toMatchObject({ pointsAwarded: 1, correct: true })
    expect(resultOf(ordering, { itemIds: ["i7", "i2", "i4", "i9"] })).toMatchObject({ pointsAwarded: 0 })
    expect(resultOf(ordering, { itemIds: ["i4", "i9", "i2", "i7"] })).toMatchObject({ pointsAwarded: 0 })
  })

  it("matching: the fraction of lefts matched right × points", () => {
    const pairs = (...pairs: Array<[string, string]>) => ({
      pairs: pairs.map(([leftId, rightId]) => ({ leftId, rightId }))
    })
    const all = pairs(["la", "rx"], ["lb", "ry"], ["lc", "rz"], ["ld", "rw"])
    expect(resultOf(matching, all)).toMatchObject({ pointsAwarded: 4, pointsPossible: 4, correct: true })
    const twoRight = pairs(["la", "rx"], ["lb", "ry"], ["lc", "rw"], ["ld", "rz"])
    expect(resultOf(matching, twoRight)).toMatchObject({ pointsAwarded: 2, correct: false })
    expect(resultOf(matching, pairs(["la", "rx"], ["lb", "ry"], ["lc", "rz"]))).toMatchObject({ pointsAwarded: 3 })
    // two lefts on one right is a wrong answer, not a malformed one
    expect(resultOf(matching, pairs(["la", "rx"], ["lb", "rx"]))).toMatchObject({ pointsAwarded: 1 })
    expect(resultOf(matching, pairs(["la", "ry"], ["lb", "rx"]))).toMatchObject({ pointsAwarded: 0 })
    expect(resultOf(threePairs, twoOfThreePairs).pointsAwarded).toBe(0.67)
  })

  it("an unanswered question scores 0", () => {
    for (const question of everyKind) {
      expect(resultOf(question)).toMatchObject({ pointsAwarded: 0, pointsPossible: question.points, correct: false })
    }
  })
})

describe("scores", () => {
  it("every answer right: 100%, results in the quiz's order", () => {
    const grade = gradeOf(everyKind, [...allRight].reverse())
    expect(grade).toMatchObject({ scorePercent: 100, pointsAwarded: 12, pointsPossible: 12, passed: true, late: false })
    expect(grade.results.map((result) => result.questionId)).toEqual(everyKind.map((question) => question.id))
    expect(grade.results.every((result) => result.correct)).toBe(true)
    expect(DateTime.Equivalence(grade.submittedAt, onTime.submittedAt)).toBe(true)
  })

  it("awarded / possible × 100, rounded to 2 decimals, from unrounded points; passed at the passing score", () => {
    const thirds = [1, 2, 3].map((index) =>
      decodeQuestion({ kind: "trueFalse", id: `t${index}`, prompt: "?", correct: true })
    )
    const twoOfThree = [
      { kind: "trueFalse", questionId: "t1", value: true },
      { kind: "trueFalse", questionId: "t2", value: true },
      { kind: "trueFalse", questionId: "t3", value: false }
    ]
    const at = (passingScorePercent: number) =>
      gradeOf(thirds, twoOfThree, { passingScorePercent, showExplanations: "never" })
    expect(at(66.67)).toMatchObject({ scorePercent: 66.67, pointsAwarded: 2, pointsPossible: 3, passed: true })
    expect(at(66.68).passed).toBe(false)
    expect(at(0).passed).toBe(true)
    expect(gradeOf(thirds, [], { passingScorePercent: 0, showExplanations: "never" })).toMatchObject({
      scorePercent: 0,
      passed: true
    })
    // 2/3 of a point and 0 of 2: 0.666… / 3 = 22.22%, not 0.67 / 3 = 22.33%
    const grade = gradeOf(
      [threePairs, multipleStrict],
      [{ kind: "matching", questionId: threePairs.id, ...twoOfThreePairs }]
    )
    expect(grade).toMatchObject({ scorePercent: 22.22, pointsAwarded: 0.67, pointsPossible: 3 })
  })
})

describe("explanations", () => {
  const failing = [{ kind: "single", questionId: "q-single", optionId: "p8x" }]
  const passing = [{ kind: "single", questionId: "q-single", optionId: "k3v" }]
  const explanationsOf = (grade: Grade) => grade.results.map((result) => result.explanation)

  it("afterSubmit: always, null for a question without one", () => {
    const settings: GradingSettings = { passingScorePercent: 100, showExplanations: "afterSubmit" }
    expect(explanationsOf(gradeOf([single, multipleStrict], failing, settings))).toEqual([
      "SECRET-EXPLANATION-single runPromise runs it",
      null
    ])
  })

  it("afterPassing: only in a grade that passed", () => {
    const settings: GradingSettings = { passingScorePercent: 50, showExplanations: "afterPassing" }
    expect(explanationsOf(gradeOf([single, trueFalse], failing, settings))).toEqual([null, null])
    expect(explanationsOf(gradeOf([single, trueFalse], passing, settings))).toEqual([
      "SECRET-EXPLANATION-single runPromise runs it",
      "SECRET-EXPLANATION-trueFalse they are lazy"
    ])
  })

  it("never: never", () => {
    const settings: GradingSettings = { passingScorePercent: 0, showExplanations: "never" }
    expect(explanationsOf(gradeOf(everyKind, allRight, settings)).every((explanation) => explanation === null)).toBe(
      true
    )
  })
})

describe("late answers", () => {
  const at = (offset: Duration.DurationInput, base = deadline) => ({
    attemptId,
    deadline,
    submittedAt: DateTime.addDuration(base, Duration.decode(offset))
  })
  const grade = (submission: { attemptId: AttemptId; deadline: DateTime.Utc | null; submittedAt: DateTime.Utc }) =>
    gradeAttempt([trueFalse], [decodeAnswer(allRight[2])], showAll, submission)

  it("before the deadline: graded, not late", () => {
    const result = grade({ attemptId, deadline, submittedAt: DateTime.subtract(deadline, { seconds: 1 }) })
    expect(Either.getOrThrow(result)).toMatchObject({ late: false, scorePercent: 100 })
    expect(Either.getOrThrow(grade(at(0))).late).toBe(false)
  })

  it("within the 5 s grace after it: graded as they are, marked late", () => {
    expect(Duration.toMillis(lateSubmissionGrace)).toBe(5000)
    expect(Either.getOrThrow(grade(at("3 seconds")))).toMatchObject({ late: true, scorePercent: 100 })
    const lastMoment = Either.getOrThrow(grade(at(lateSubmissionGrace)))
    expect(lastMoment).toMatchObject({ late: true, scorePercent: 100 })
    expect(DateTime.Equivalence(lastMoment.submittedAt, DateTime.add(deadline, { seconds: 5 }))).toBe(true)
  })

  it("after the grace: refused with AttemptExpired, whatever the answers", () => {
    const refused = grade(at(Duration.sum(lateSubmissionGrace, "1 millis")))
    expect(Either.isLeft(refused) && refused.left).toMatchObject({ _tag: "AttemptExpired", attemptId })
    if (Either.isLeft(refused) && refused.left._tag === "AttemptExpired") {
      expect(DateTime.Equivalence(refused.left.deadline, deadline)).toBe(true)
    }
    const unfit = gradeAttempt([trueFalse], [decodeAnswer(allRight[0])], showAll, at("1 hour"))
    expect(Either.isLeft(unfit) && unfit.left._tag).toBe("AttemptExpired")
  })

  it("an untimed attempt is never late", () => {
    const result = grade({ attemptId, deadline: null, submittedAt: DateTime.add(startedAt, { days: 30 }) })
    expect(Either.getOrThrow(result).late).toBe(false)
  })
})

describe("answers that do not fit the quiz: InvalidAnswers", () => {
  it("an answer to another quiz's question", () => {
    const otherQuiz = decodeQuestion({ kind: "trueFalse", id: "other-quiz-q1", prompt: "?", correct: true })
    const error = refusal(everyKind, [...allRight, { kind: "trueFalse", questionId: otherQuiz.id, value: true }])
    expect(error).toMatchObject({ _tag: "InvalidAnswers", message: "question other-quiz-q1 is not in this quiz" })
  })

  it("an answer of another kind than its question's", () => {
    expect(refusal(everyKind, [{ kind: "numeric", questionId: "q-true-false", value: 1 }])).toMatchObject({
      _tag: "InvalidAnswers",
      message: "question q-true-false is a trueFalse question, not numeric"
    })
  })

  it("a question answered twice", () => {
    const twice = [allRight[0], { kind: "single", questionId: "q-single", optionId: "p8x" }]
    expect(refusal(everyKind, twice)).toMatchObject({
      _tag: "InvalidAnswers",
      message: "question q-single is answered more than once"
    })
  })

  it("ids the question does not have, repeated ids, an ordering that is not every item once", () => {
    const cases: Array<[unknown, string]> = [
      [{ kind: "single", questionId: "q-single", optionId: "ma" }, "question q-single has no option ma"],
      [
        { kind: "multiple", questionId: "q-multiple", optionIds: ["ma", "ma"] },
        "question q-multiple: option ma is given more than once"
      ],
      [{ kind: "multiple", questionId: "q-multiple", optionIds: ["zz"] }, "question q-multiple has no option zz"],
      [
        { kind: "ordering", questionId: "q-ordering", itemIds: ["i7", "i2", "i9"] },
        "question q-ordering: an ordering lists every item; i4 missing"
      ],
      [
        { kind: "ordering", questionId: "q-ordering", itemIds: ["i7", "i2", "i9", "i4", "i7"] },
        "question q-ordering: item i7 is given more than once"
      ],
      [
        { kind: "matching", questionId: "q-matching", pairs: [{ leftId: "rx", rightId: "la" }] },
        "question q-matching has no left rx; question q-matching has no right la"
      ],
      [
        {
          kind: "matching",
          questionId: "q-matching",
          pairs: [
            { leftId: "la", rightId: "rx" },
            { leftId: "la", rightId: "ry" }
          ]
        },
        "question q-matching: left la is given more than once"
      ]
    ]
    for (const [answer, message] of cases) {
      expect(refusal(everyKind, [answer])).toMatchObject({ _tag: "InvalidAnswers", message })
    }
  })

  it("lists every problem at once, at most 10", () => {
    const unknown = Array.from({ length: 12 }, (_, index) => ({
      kind: "trueFalse",
      questionId: `x${index}`,
      value: true
    }))
    const error = refusal(everyKind, unknown)
    const message = error._tag === "InvalidAnswers" ? error.message : error._tag
    expect(message.startsWith("question x0 is not in this quiz; question x1 is not in this quiz;")).toBe(true)
    expect(message.endsWith("question x9 is not in this quiz; and 2 more")).toBe(true)
  })

  it("fitting answers pass the check on their own", () => {
    const checked = Either.getOrThrow(
      checkAnswers(
        everyKind,
        allRight.map((answer) => decodeAnswer(answer))
      )
    )
    expect([...checked.keys()].sort()).toEqual(everyKind.map((question) => question.id).sort())
  })
})

// ---------------------------------------------------------------- the learner's view

describe("the learner's view", () => {
  const secrets = [
    ...everyKind.flatMap((question) => (question.explanation ? [question.explanation] : [])),
    "Cafe\u0301 au lait",
    "Café au lait",
    "Flat white",
    "42.195",
    "0.0375",
    "SECRET"
  ]
  const allowedKeys = new Set([
    "kind",
    "id",
    "prompt",
    "points",
    "text",
    "partialCredit",
    "options",
    "items",
    "lefts",
    "rights"
  ])
  const keysOf = (value: unknown): Array<string> =>
    Array.isArray(value)
      ? value.flatMap(keysOf)
      : typeof value === "object" && value !== null
        ? Object.entries(value).flatMap(([key, inner]) => [key, ...keysOf(inner)])
        : []

  it("holds nothing of the answers, for every kind, shuffled or not", () => {
    for (const [shuffleQuestions, shuffleOptions] of [
      [false, false],
      [true, true]
    ] as const) {
      for (const seed of ["seed-a", "seed-b", attemptId]) {
        const view = viewForLearner(everyKind, { shuffleQuestions, shuffleOptions, seed })
        const json = JSON.stringify(Schema.encodeSync(Schema.Array(QuestionView))(view))
        for (const secret of secrets) expect(json).not.toContain(secret)
        for (const key of new Set(keysOf(JSON.parse(json)))) expect([...allowedKeys]).toContain(key)
        for (const forbidden of ["correct", "answer", "tolerance", "explanation", "pairs", "caseSensitive"]) {
          expect(json).not.toContain(`"${forbidden}`)
        }
        expect(view.map((question) => question.kind).sort()).toEqual(everyKind.map((question) => question.kind).sort())
      }
    }
  })

  it("shows what a learner needs to answer, with points", () => {
    const view = viewForLearner(everyKind, { shuffleQuestions: false, shuffleOptions: false, seed: attemptId })
    expect(view[0]).toEqual({
      kind: "single",
      id: "q-single",
      prompt: "Which function runs an effect?",
      points: 1,
      options: [
        { id: "k3v", text: "Effect.runPromise" },
        { id: "p8x", text: "Effect.succeed" },
        { id: "z1m", text: "Effect.map" }
      ]
    })
    expect(view[1]).toMatchObject({ kind: "multiple", points: 3, partialCredit: true })
    expect(view[2]).toEqual({ kind: "trueFalse", id: "q-true-false", prompt: "Effects are eager.", points: 1 })
    const matchingView = view[6]
    if (matchingView?.kind !== "matching") throw new Error("the matching question comes last")
    expect(matchingView.lefts.map((left) => left.id)).toEqual(["la", "lb", "lc", "ld"])
    expect(matchingView.rights.map((right) => right.id).sort()).toEqual(["rw", "rx", "ry", "rz"])
    // an attempt's view crosses the wire
    const attempt = new AttemptView({
      attemptId,
      quizId: QuizId.make("0b5a3b7e-51b8-4a53-9d3b-5e0ab2a4c6f1"),
      questions: view,
      startedAt,
      deadline,
      attemptNumber: 1
    })
    const encoded = Schema.encodeSync(AttemptView)(attempt)
    expect(Schema.encodeSync(AttemptView)(Schema.decodeUnknownSync(AttemptView)(encoded))).toEqual(encoded)
  })

  it("is the same on every reload of an attempt, and differs between attempts", () => {
    const settings = { shuffleQuestions: true, shuffleOptions: true }
    const first = viewForLearner(everyKind, { ...settings, seed: attemptId })
    expect(viewForLearner(everyKind, { ...settings, seed: attemptId })).toEqual(first)
    const others = ["a", "b", "c", "d", "e"].map((seed) => viewForLearner(everyKind, { ...settings, seed }))
    expect(others.some((other) => JSON.stringify(other) !== JSON.stringify(first))).toBe(true)
  })

  it("follows shuffleQuestions and shuffleOptions; ordering items and matching rights are always shuffled", () => {
    const idsIn = (items: ReadonlyArray<{ readonly id: string }>) => items.map((item) => item.id)
    const authored = idsIn(everyKind)
    const seeds = Array.from({ length: 20 }, (_, index) => `seed-${index}`)
    const unshuffled = seeds.map((seed) =>
      viewForLearner(everyKind, { shuffleQuestions: false, shuffleOptions: false, seed })
    )
    const shuffled = seeds.map((seed) =>
      viewForLearner(everyKind, { shuffleQuestions: true, shuffleOptions: true, seed })
    )
    const part = <K extends QuestionView["kind"]>(view: ReadonlyArray<QuestionView>, kind: K) =>
      view.find((question): question is Extract<QuestionView, { kind: K }> => question.kind === kind)!
    for (const view of unshuffled) {
      expect(idsIn(view)).toEqual(authored)
      expect(idsIn(part(view, "single").options)).toEqual(["k3v", "p8x", "z1m"])
      expect(idsIn(part(view, "matching").lefts)).toEqual(["la", "lb", "lc", "ld"])
    }
    for (const view of shuffled) expect(idsIn(view).sort()).toEqual([...authored].sort())
    const variesOver = (
      views: Array<ReadonlyArray<QuestionView>>,
      pick: (view: ReadonlyArray<QuestionView>) => unknown
    ) => new Set(views.map((view) => JSON.stringify(pick(view)))).size > 1
    expect(variesOver(shuffled, idsIn)).toBe(true)
    expect(variesOver(shuffled, (view) => idsIn(part(view, "single").options))).toBe(true)
    expect(variesOver(shuffled, (view) => idsIn(part(view, "matching").lefts))).toBe(true)
    expect(variesOver(unshuffled, (view) => idsIn(part(view, "ordering").items))).toBe(true)
    expect(variesOver(unshuffled, (view) => idsIn(part(view, "matching").rights))).toBe(true)
  })
})

describe("seededShuffle", () => {
  const items = Array.from({ length: 30 }, (_, index) => index)

  it("is a permutation, the same for the same seed", () => {
    for (const seed of ["", "x", attemptId]) {
      const shuffled = seededShuffle(items, seed)
      expect([...shuffled].sort((a, b) => a - b)).toEqual(items)
      expect(seededShuffle(items, seed)).toEqual(shuffled)
    }
    expect(seededShuffle(items, "one")).not.toEqual(seededShuffle(items, "two"))
    expect(seededShuffle([], "x")).toEqual([])
    expect(seededShuffle(["only"], "x")).toEqual(["only"])
  })

  it("leaves its input alone", () => {
    const input = ["a", "b", "c"]
    seededShuffle(input, "x")
    expect(input).toEqual(["a", "b", "c"])
  })

  it("spreads over every order about evenly", () => {
    const counts = new Map<string, number>()
    for (let index = 0; index < 1200; index++) {
      const order = seededShuffle(["a", "b", "c"], `attempt-${index}`).join("")
      counts.set(order, (counts.get(order) ?? 0) + 1)
    }
    expect(counts.size).toBe(6)
    for (const count of counts.values()) expect(count).toBeGreaterThan(140) // 200 expected each
  })
})

// ---------------------------------------------------------------- authoring input

describe("authoring input", () => {
  const settings = {
    passingScorePercent: 70,
    attemptLimit: 3,
    timeLimitSeconds: 600,
    shuffleQuestions: true,
    shuffleOptions: false,
    showExplanations: "afterPassing"
  }
  const quiz = (questions: ReadonlyArray<unknown>, overrides: Record<string, unknown> = {}) => ({
    courseId: "0b5a3b7e-51b8-4a53-9d3b-5e0ab2a4c6f1",
    title: "Effect basics",
    questions,
    settings,
    ...overrides
  })
  const singleInput = (overrides: Record<string, unknown> = {}) => ({
    kind: "single",
    id: "q1",
    prompt: "Which?",
    options: options("a", "b"),
    correctOptionId: "a",
    ...overrides
  })

  it("a well-formed quiz decodes, with defaults for points, partialCredit, caseSensitive and tolerance", () => {
    const decoded = Schema.decodeUnknownSync(QuizInput)(
      quiz([
        singleInput(),
        { kind: "multiple", id: "q2", prompt: "Which?", options: options("a", "b"), correctOptionIds: ["a"] },
        { kind: "shortText", id: "q3", prompt: "Name?", acceptedAnswers: [" Effect "] },
        { kind: "numeric", id: "q4", prompt: "How many?", answer: 3 }
      ])
    )
    expect(decoded.questions).toMatchObject([
      { points: 1 },
      { points: 1, partialCredit: false },
      { caseSensitive: false, acceptedAnswers: ["Effect"] },
      { tolerance: 0 }
    ])
    expect(
      problemsOf(QuizInput, quiz(everyKind.map((question) => Schema.encodeSync(QuestionInputSchema)(question))))
    ).toEqual([])
  })

  it("refuses bad questions with clear messages", () => {
    const cases: Array<[unknown, Array<string>]> = [
      [
        singleInput({ options: [...options("a", "b"), { id: "a", text: "Again" }] }),
        ["options: option ids must be unique: a appears more than once"]
      ],
      [singleInput({ correctOptionId: "c" }), ["correctOptionId: the correct option c is not one of the options"]],
      [singleInput({ options: options("a") }), ["options: at least 2 options"]],
      [
        singleInput({
          options: options(...Array.from({ length: 51 }, (_, index) => `o${index}`)),
          correctOptionId: "o0"
        }),
        ["options: at most 50 options"]
      ],
      [singleInput({ prompt: "x".repeat(2001) }), ["prompt: a prompt is at most 2,000 characters"]],
      [singleInput({ prompt: "   " }), ["prompt: a prompt is required"]],
      [singleInput({ points: 0 }), ["points: a question is worth 1 to 100 points (a whole number)"]],
      [singleInput({ points: 1.5 }), ["points: a question is worth 1 to 100 points (a whole number)"]],
      [singleInput({ id: "has space" }), ["id: a question id is 1–64 letters, digits, _ or -"]],
      [
        { kind: "multiple", id: "q1", prompt: "?", options: options("a", "b"), correctOptionIds: ["a", "z"] },
        ["correctOptionIds: the correct option z is not one of the options"]
      ],
      [
        { kind: "multiple", id: "q1", prompt: "?", options: options("a", "b"), correctOptionIds: [] },
        ["correctOptionIds: at least one option must be correct"]
      ],
      [{ kind: "numeric", id: "q1", prompt: "?", answer: 1, tolerance: -0.5 }, ["tolerance: a tolerance is 0 or more"]],
      [
        { kind: "shortText", id: "q1", prompt: "?", acceptedAnswers: [] },
        ["acceptedAnswers: at least one accepted answer"]
      ],
      [{ kind: "ordering", id: "q1", prompt: "?", items: [{ id: "i1", text: "One" }] }, ["items: at least 2 items"]],
      [
        {
          kind: "matching",
          id: "q1",
          prompt: "?",
          pairs: [
            { left: { id: "l1", text: "x" }, right: { id: "r1", text: "y" } },
            { left: { id: "l1", text: "x" }, right: { id: "r1", text: "y" } }
          ]
        },
        [
          "pairs: left ids must be unique: l1 appears more than once",
          "pairs: right ids must be unique: r1 appears more than once"
        ]
      ],
      [
        singleInput({ correct: true }),
        [
          'correct: is unexpected, expected: "kind" | "id" | "prompt" | "points" | "explanation" | "options" | "correctOptionId"'
        ]
      ]
    ]
    for (const [question, messages] of cases) {
      expect(problemsOf(QuizInput, quiz([question]))).toEqual(messages.map((message) => `questions.0.${message}`))
    }
  })

  it("refuses more than 200 questions, none, and repeated question ids", () => {
    const many = Array.from({ length: 201 }, (_, index) => singleInput({ id: `q${index}` }))
    expect(problemsOf(QuizInput, quiz(many))).toEqual(["questions: a quiz has at most 200 questions"])
    expect(problemsOf(QuizInput, quiz(many.slice(0, 200)))).toEqual([])
    expect(problemsOf(QuizInput, quiz([]))).toEqual(["questions: a quiz has at least one question"])
    expect(problemsOf(QuizInput, quiz([singleInput(), singleInput()]))).toEqual([
      "questions: question ids must be unique: q1 appears more than once"
    ])
  })

  it("refuses bad settings and keys a quiz does not declare", () => {
    const withSettings = (overrides: Record<string, unknown>) =>
      quiz([singleInput()], { settings: { ...settings, ...overrides } })
    expect(problemsOf(QuizInput, withSettings({ passingScorePercent: 101 }))).toEqual([
      "settings.passingScorePercent: a passing score is 0 to 100 percent"
    ])
    expect(problemsOf(QuizInput, withSettings({ attemptLimit: 0 }))).toEqual([
      "settings.attemptLimit: an attempt limit is 1 to 1,000 (or null)",
      "settings.attemptLimit: Expected null, actual 0"
    ])
    expect(problemsOf(QuizInput, withSettings({ timeLimitSeconds: 5 }))[0]).toBe(
      "settings.timeLimitSeconds: a time limit is 10 to 86,400 seconds (or null)"
    )
    expect(problemsOf(QuizInput, withSettings({ showExplanations: "always" }))).toEqual([
      "settings.showExplanations: explanations show afterSubmit, afterPassing or never"
    ])
    expect(problemsOf(QuizSettings, { ...settings, attemptLimit: null, timeLimitSeconds: null })).toEqual([])
    expect(problemsOf(QuizInput, quiz([singleInput()], { ownerId: "someone" }))).toEqual([
      'ownerId: is unexpected, expected: "courseId" | "title" | "questions" | "settings"'
    ])
    expect(problemsOf(QuizUpdate, { id: "0b5a3b7e-51b8-4a53-9d3b-5e0ab2a4c6f1", title: "New" })).toEqual([])
    expect(problemsOf(QuizUpdate, { id: "0b5a3b7e-51b8-4a53-9d3b-5e0ab2a4c6f1", questions: [] })).toEqual([
      "questions: a quiz has at least one question"
    ])
  })

  it("answers: finite numbers, at most 200, no undeclared keys", () => {
    const submit = (answers: ReadonlyArray<unknown>) => ({ attemptId, answers })
    expect(problemsOf(SubmitInput, submit(allRight))).toEqual([])
    expect(problemsOf(SubmitInput, submit([{ kind: "numeric", questionId: "q", value: Number.NaN }]))).toHaveLength(1)
    expect(
      problemsOf(SubmitInput, submit([{ kind: "numeric", questionId: "q", value: Number.POSITIVE_INFINITY }]))
    ).toHaveLength(1)
    expect(
      problemsOf(
        SubmitInput,
        submit(Array.from({ length: 201 }, () => ({ kind: "trueFalse", questionId: "q", value: true })))
      )
    ).toEqual(["answers: at most 200 answers"])
    expect(
      problemsOf(SubmitInput, submit([{ kind: "trueFalse", questionId: "q", value: true, correct: true }]))
    ).toEqual(['answers.0.correct: is unexpected, expected: "kind" | "questionId" | "value"'])
  })

  it("the owner's questions decode from what they encode to", () => {
    const encoded = Schema.encodeSync(Questions)(everyKind)
    expect(Schema.decodeUnknownSync(Questions)(encoded)).toEqual(everyKind)
  })
})
