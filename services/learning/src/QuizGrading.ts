// Quiz grading and the learner's view of a quiz: pure functions over the authored questions, no database.
//
// Rules, in one place:
// - Late answers: an attempt's deadline is fixed when it starts. Answers received up to `lateSubmissionGrace` (5 s,
//   for the network) after it are graded as they are and marked `late: true`; later ones are refused with
//   `AttemptExpired` and nothing is graded. The refusal is checked before the answers are looked at.
// - Answers must fit the quiz: a question not in it (another quiz's), a kind that is not the question's, a question
//   answered twice, option/item/side ids the question does not have, an ordering that is not every item once, a
//   multiple choice or matching naming an option or left twice: all fail the whole submission with `InvalidAnswers`
//   listing the problems. An unanswered question scores 0.
// - single: the correct option. trueFalse: the right value.
// - multiple: the exact set of correct options; with `partialCredit`,
//   max(0, (correct picked − wrong picked) / correct total) × points.
// - shortText: the answer and each accepted answer normalised (Unicode NFC, trimmed, inner whitespace runs made
//   one space, lower-cased unless `caseSensitive`); any equal one scores.
// - numeric: |value − answer| ≤ tolerance, with a few units in the last place of slack so that decimal tolerances
//   hold despite binary floating point (0.9 is within 0.2 of 1.1).
// - ordering: all or nothing — the exact order of every item.
// - matching: partial — the fraction of lefts matched to their right × points; `correct` only when all are.
// - Points awarded are rounded to 2 decimals per question and in total; the score is computed from the unrounded
//   points (awarded / possible × 100) and rounded to 2 decimals; `passed` is that rounded score ≥ the passing score.
// - Explanations: `afterSubmit` always, `afterPassing` only in a grade that passed, `never` never.
// - Views: a seeded shuffle (seed: the attempt id), so a reload of the attempt shows the same order. Questions are
//   shuffled with `shuffleQuestions`; choice options and matching lefts with `shuffleOptions`; ordering items and
//   matching rights always (a uniform shuffle is independent of the answer, so it reveals nothing — and it may, by
//   chance, show the correct order). Views are built field by field: nothing of an answer is copied.
import { createHash } from "node:crypto"
import {
  type AnswerInput,
  AttemptExpired,
  type AttemptId,
  InvalidAnswers,
  type QuestionInput,
  QuestionResult,
  type QuestionView,
  type QuizOption,
  type QuizSettings
} from "@lectern/contracts/LearningQuiz"
import { DateTime, Duration, Either } from "effect"

/** How long after its deadline an attempt's answers are still accepted (and marked late). */
export const lateSubmissionGrace: Duration.Duration = Duration.seconds(5)

/** The most problems one `InvalidAnswers` message lists. */
const maxProblemsListed = 10

export interface Submission {
  readonly attemptId: AttemptId
  /** When the server received the answers. */
  readonly submittedAt: DateTime.Utc
  /** The attempt's deadline, fixed when it started; null for an untimed quiz. */
  readonly deadline: DateTime.Utc | null
}

/** A graded attempt without its ids: the service adds `attemptId` and `quizId` to make a `GradedAttempt`. */
export interface Grade {
  readonly scorePercent: number
  readonly pointsAwarded: number
  readonly pointsPossible: number
  readonly passed: boolean
  readonly submittedAt: DateTime.Utc
  readonly late: boolean
  readonly results: ReadonlyArray<QuestionResult>
}

export type GradingSettings = Pick<QuizSettings, "passingScorePercent" | "showExplanations">

const round2 = (value: number) => Math.round(value * 100) / 100

// ---------------------------------------------------------------- answer checks

/**
 * Each answer keyed by its question id, or `InvalidAnswers` when some answer does not fit the quiz (see the rules
 * above). The service may call it on its own to check answers early; `gradeAttempt` calls it.
 */
export const checkAnswers = (
  questions: ReadonlyArray<QuestionInput>,
  answers: ReadonlyArray<AnswerInput>
): Either.Either<ReadonlyMap<string, AnswerInput>, InvalidAnswers> => {
  const questionsById = new Map(questions.map((question) => [question.id, question]))
  const answersById = new Map<string, AnswerInput>()
  const problems: Array<string> = []
  for (const answer of answers) {
    const question = questionsById.get(answer.questionId)
    if (question === undefined) {
      problems.push(`question ${answer.questionId} is not in this quiz`)
    } else if (answersById.has(answer.questionId)) {
      problems.push(`question ${answer.questionId} is answered more than once`)
    } else if (question.kind !== answer.kind) {
      problems.push(`question ${question.id} is a ${question.kind} question, not ${answer.kind}`)
    } else {
      problems.push(...answerProblems(question, answer))
    }
    answersById.set(answer.questionId, answer)
  }
  if (problems.length === 0) return Either.right(answersById)
  const listed = problems.slice(0, maxProblemsListed).join("; ")
  const more = problems.length - maxProblemsListed
  return Either.left(new InvalidAnswers({ message: more > 0 ? `${listed}; and ${more} more` : listed }))
}

const idsOf = (options: ReadonlyArray<QuizOption>) => new Set(options.map((option) => option.id))

/** What is wrong with an answer of the question's kind, if anything. */
const answerProblems = (question: QuestionInput, answer: AnswerInput): Array<string> => {
  const problems: Array<string> = []
  const unknownIds = (what: string, known: ReadonlySet<string>, ids: ReadonlyArray<string>) => {
    for (const id of new Set(ids)) if (!known.has(id)) problems.push(`question ${question.id} has no ${what} ${id}`)
  }
  const repeatedIds = (what: string, ids: ReadonlyArray<string>) => {
    const repeated = new Set(ids.filter((id, index) => ids.indexOf(id) !== index))
    for (const id of repeated) problems.push(`question ${question.id}: ${what} ${id} is given more than once`)
  }
  if (question.kind === "single" && answer.kind === "single") {
    unknownIds("option", idsOf(question.options), [answer.optionId])
  } else if (question.kind === "multiple" && answer.kind === "multiple") {
    unknownIds("option", idsOf(question.options), answer.optionIds)
    repeatedIds("option", answer.optionIds)
  } else if (question.kind === "ordering" && answer.kind === "ordering") {
    unknownIds("item", idsOf(question.items), answer.itemIds)
    repeatedIds("item", answer.itemIds)
    const given = new Set(answer.itemIds)
    const missing = question.items.filter((item) => !given.has(item.id)).map((item) => item.id)
    if (missing.length > 0) {
      problems.push(`question ${question.id}: an ordering lists every item; ${missing.join(", ")} missing`)
    }
  } else if (question.kind === "matching" && answer.kind === "matching") {
    const leftIds = answer.pairs.map((pair) => pair.leftId)
    unknownIds("left", new Set(question.pairs.map((pair) => pair.left.id)), leftIds)
    unknownIds(
      "right",
      new Set(question.pairs.map((pair) => pair.right.id)),
      answer.pairs.map((pair) => pair.rightId)
    )
    repeatedIds("left", leftIds)
  }
  return problems
}

// ---------------------------------------------------------------- grading

/** Normalises a typed answer for comparison: NFC, trimmed, whitespace runs as one space, lower-cased unless asked. */
export const normaliseAnswerText = (text: string, caseSensitive: boolean): string => {
  const spaced = text.normalize("NFC").trim().replace(/\s+/gu, " ")
  return caseSensitive ? spaced : spaced.toLowerCase().normalize("NFC")
}

/** |value − answer| ≤ tolerance, with a few units in the last place of slack for binary floating point. */
export const withinTolerance = (value: number, answer: number, tolerance: number): boolean => {
  const slack = 8 * Number.EPSILON * Math.max(Math.abs(value), Math.abs(answer), tolerance)
  return Math.abs(value - answer) <= tolerance + slack
}

/** The fraction (0 to 1) of the question's points an answer of its kind earns. */
const creditFor = (question: QuestionInput, answer: AnswerInput): number => {
  switch (question.kind) {
    case "single":
      return answer.kind === "single" && answer.optionId === question.correctOptionId ? 1 : 0
    case "multiple": {
      if (answer.kind !== "multiple") return 0
      const correct = new Set(question.correctOptionIds)
      const picked = new Set(answer.optionIds)
      const correctPicked = [...picked].filter((id) => correct.has(id)).length
      const wrongPicked = picked.size - correctPicked
      if (correctPicked === correct.size && wrongPicked === 0) return 1
      return question.partialCredit ? Math.max(0, (correctPicked - wrongPicked) / correct.size) : 0
    }
    case "trueFalse":
      return answer.kind === "trueFalse" && answer.value === question.correct ? 1 : 0
    case "shortText": {
      if (answer.kind !== "shortText") return 0
      const given = normaliseAnswerText(answer.text, question.caseSensitive)
      return question.acceptedAnswers.some(
        (accepted) => normaliseAnswerText(accepted, question.caseSensitive) === given
      )
        ? 1
        : 0
    }
    case "numeric":
      return answer.kind === "numeric" && withinTolerance(answer.value, question.answer, question.tolerance) ? 1 : 0
    case "ordering":
      return answer.kind === "ordering" &&
        answer.itemIds.length === question.items.length &&
        question.items.every((item, index) => answer.itemIds[index] === item.id)
        ? 1
        : 0
    case "matching": {
      if (answer.kind !== "matching") return 0
      const rightOf = new Map(question.pairs.map((pair) => [pair.left.id, pair.right.id]))
      const matched = answer.pairs.filter((pair) => rightOf.get(pair.leftId) === pair.rightId).length
      return matched / question.pairs.length
    }
  }
}

/**
 * Grades an attempt's answers against the quiz's questions: `AttemptExpired` when they came too late (see the
 * rules above), `InvalidAnswers` when they do not fit the quiz, else the grade with results in question order.
 */
export const gradeAttempt = (
  questions: ReadonlyArray<QuestionInput>,
  answers: ReadonlyArray<AnswerInput>,
  settings: GradingSettings,
  submission: Submission
): Either.Either<Grade, InvalidAnswers | AttemptExpired> => {
  const { attemptId, deadline, submittedAt } = submission
  if (deadline !== null && DateTime.greaterThan(submittedAt, DateTime.addDuration(deadline, lateSubmissionGrace))) {
    return Either.left(new AttemptExpired({ attemptId, deadline }))
  }
  return Either.map(checkAnswers(questions, answers), (answersById) => {
    const credits = questions.map((question) => {
      const answer = answersById.get(question.id)
      const credit = answer === undefined ? 0 : creditFor(question, answer)
      return { question, credit, points: credit * question.points }
    })
    const pointsPossible = questions.reduce((sum, question) => sum + question.points, 0)
    const pointsAwarded = credits.reduce((sum, { points }) => sum + points, 0)
    const scorePercent = pointsPossible === 0 ? 0 : round2((pointsAwarded / pointsPossible) * 100)
    const passed = scorePercent >= settings.passingScorePercent
    const showExplanations =
      settings.showExplanations === "afterSubmit" || (settings.showExplanations === "afterPassing" && passed)
    const results = credits.map(
      ({ question, credit, points }) =>
        new QuestionResult({
          questionId: question.id,
          pointsAwarded: round2(points),
          pointsPossible: question.points,
          correct: credit === 1,
          explanation: showExplanations && question.explanation ? question.explanation : null
        })
    )
    return {
      scorePercent,
      pointsAwarded: round2(pointsAwarded),
      pointsPossible,
      passed,
      submittedAt,
      late: deadline !== null && DateTime.greaterThan(submittedAt, deadline),
      results
    }
  })
}

// ---------------------------------------------------------------- the learner's view

/** A generator of uniform numbers in [0, 1) from a seed: SFC32 keyed by the seed's SHA-256. */
const seededRandom = (seed: string): (() => number) => {
  const digest = createHash("sha256").update(seed).digest()
  let a = digest.readUInt32LE(0)
  let b = digest.readUInt32LE(4)
  let c = digest.readUInt32LE(8)
  let d = digest.readUInt32LE(12)
  return () => {
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / 4_294_967_296
  }
}

/** A uniform permutation of `items` (Fisher–Yates) that depends only on `seed`: the same seed, the same order. */
export const seededShuffle = <A>(items: ReadonlyArray<A>, seed: string): Array<A> => {
  const random = seededRandom(seed)
  const shuffled = [...items]
  for (let index = shuffled.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1))
    const item = shuffled[index]!
    shuffled[index] = shuffled[other]!
    shuffled[other] = item
  }
  return shuffled
}

export interface ViewOptions {
  readonly shuffleQuestions: boolean
  readonly shuffleOptions: boolean
  /** The attempt id: a reload of the attempt shows the same order. */
  readonly seed: string
}

const optionViews = (options: ReadonlyArray<QuizOption>) => options.map(({ id, text }) => ({ id, text }))

/** One question as a learner sees it; `shuffle` gives a list in the attempt's order for a purpose. */
const viewOfQuestion = (
  question: QuestionInput,
  shuffleOptions: boolean,
  shuffle: <A>(items: ReadonlyArray<A>, enabled: boolean, purpose: string) => ReadonlyArray<A>
): QuestionView => {
  const base = { id: question.id, prompt: question.prompt, points: question.points }
  const options = (purpose: string, items: ReadonlyArray<QuizOption>, enabled: boolean) =>
    optionViews(shuffle(items, enabled, `${question.id}\u0000${purpose}`))
  switch (question.kind) {
    case "single":
      return { kind: "single", ...base, options: options("options", question.options, shuffleOptions) }
    case "multiple":
      return {
        kind: "multiple",
        ...base,
        partialCredit: question.partialCredit,
        options: options("options", question.options, shuffleOptions)
      }
    case "trueFalse":
      return { kind: "trueFalse", ...base }
    case "shortText":
      return { kind: "shortText", ...base }
    case "numeric":
      return { kind: "numeric", ...base }
    case "ordering":
      return { kind: "ordering", ...base, items: options("items", question.items, true) }
    case "matching": {
      const lefts = question.pairs.map((pair) => pair.left)
      const rights = question.pairs.map((pair) => pair.right)
      return {
        kind: "matching",
        ...base,
        lefts: options("lefts", lefts, shuffleOptions),
        rights: options("rights", rights, true)
      }
    }
  }
}

/** The questions as a learner sees them in an attempt: in the attempt's order, without answers or explanations. */
export const viewForLearner = (
  questions: ReadonlyArray<QuestionInput>,
  options: ViewOptions
): ReadonlyArray<QuestionView> => {
  const shuffle = <A>(items: ReadonlyArray<A>, enabled: boolean, purpose: string): ReadonlyArray<A> =>
    enabled ? seededShuffle(items, `${options.seed}\u0000${purpose}`) : items
  return shuffle(questions, options.shuffleQuestions, "questions").map((question) =>
    viewOfQuestion(question, options.shuffleOptions, shuffle)
  )
}
