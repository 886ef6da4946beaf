// Quiz schemas: what an owner authors (with answers), what a learner sees (without), answers, grades and errors.
//
// Ids inside a quiz — questions, options, ordering items, matching sides — are chosen by the author's client (the
// studio generates them, e.g. `crypto.randomUUID()`), are required on create and update, and stay stable across
// updates so attempts and answers can refer to them. Learners see option, item and side ids as they are: an id must
// not hint at the answer (no `correct`, no `1`, `2`, `3` for ordering items, no `l1`/`r1` for a matching pair).
import { CourseId, QuizId, UserId } from "@lectern/domain"
import { Schema } from "effect"
import { Title } from "./Catalog.ts"
import { strict } from "./Strict.ts"

/** The first id seen twice, if any. */
const repeatedId = (ids: ReadonlyArray<string>): string | undefined => {
  const seen = new Set<string>()
  for (const id of ids) {
    if (seen.has(id)) return id
    seen.add(id)
  }
  return undefined
}

const uniqueIds = (what: string, items: ReadonlyArray<{ readonly id: string }>) => {
  const repeated = repeatedId(items.map((item) => item.id))
  return repeated === undefined || `${what} ids must be unique: ${repeated} appears more than once`
}

export const maxQuestions = 200
export const maxOptions = 50

// ---------------------------------------------------------------- ids and pieces

const idPattern = /^[A-Za-z0-9_-]{1,64}$/

/** Chosen by the author; unique within its quiz. */
export const QuestionId = Schema.String.pipe(
  Schema.pattern(idPattern, { message: () => "a question id is 1–64 letters, digits, _ or -" })
)
export type QuestionId = typeof QuestionId.Type

/** The id of an option, an ordering item or a matching side; chosen by the author, unique within its question. */
export const OptionId = Schema.String.pipe(
  Schema.pattern(idPattern, { message: () => "an option id is 1–64 letters, digits, _ or -" })
)
export type OptionId = typeof OptionId.Type

export const AttemptId = Schema.UUID.pipe(Schema.brand("QuizAttemptId"))
export type AttemptId = typeof AttemptId.Type

export const Prompt = Schema.Trim.pipe(
  Schema.minLength(1, { message: () => "a prompt is required" }),
  Schema.maxLength(2000, { message: () => "a prompt is at most 2,000 characters" })
)
export const Explanation = Schema.Trim.pipe(
  Schema.maxLength(5000, { message: () => "an explanation is at most 5,000 characters" })
)
export const OptionText = Schema.Trim.pipe(
  Schema.minLength(1, { message: () => "an option's text is required" }),
  Schema.maxLength(500, { message: () => "an option's text is at most 500 characters" })
)
/** A whole number in a range, with one message for both checks. */
const intBetween = (min: number, max: number, message: string) =>
  Schema.Number.pipe(Schema.int({ message: () => message }), Schema.between(min, max, { message: () => message }))

export const Points = intBetween(1, 100, "a question is worth 1 to 100 points (a whole number)")

/** An option of a choice question, an item to order, or one side of a matching pair. */
export const QuizOption = strict({ id: OptionId, text: OptionText })
export type QuizOption = typeof QuizOption.Type

/** 2 to 50 options with distinct ids. */
const optionList = (what: "option" | "item") =>
  Schema.Array(QuizOption).pipe(
    Schema.minItems(2, { message: () => `at least 2 ${what}s` }),
    Schema.maxItems(maxOptions, { message: () => `at most ${maxOptions} ${what}s` }),
    Schema.filter((options) => uniqueIds(what, options))
  )

export const QuestionKind = Schema.Literal(
  "single",
  "multiple",
  "trueFalse",
  "shortText",
  "numeric",
  "ordering",
  "matching"
)
export type QuestionKind = typeof QuestionKind.Type

// ---------------------------------------------------------------- authoring (with answers)

const questionFields = {
  id: QuestionId,
  prompt: Prompt,
  /** Default 1. */
  points: Schema.optionalWith(Points, { default: () => 1, exact: true }),
  /** Shown after submitting, per the quiz's `showExplanations`. */
  explanation: Schema.optionalWith(Explanation, { exact: true })
}

/** One correct option. */
export const SingleChoiceInput = strict({
  kind: Schema.Literal("single"),
  ...questionFields,
  options: optionList("option"),
  correctOptionId: OptionId
}).pipe(
  Schema.filter(
    (question) =>
      question.options.some((option) => option.id === question.correctOptionId) || {
        path: ["correctOptionId"],
        message: `the correct option ${question.correctOptionId} is not one of the options`
      }
  )
)

/**
 * One or more correct options. Without partial credit only the exact set scores; with it a question scores
 * max(0, (correct picked − wrong picked) / correct total) × points.
 */
export const MultipleChoiceInput = strict({
  kind: Schema.Literal("multiple"),
  ...questionFields,
  options: optionList("option"),
  correctOptionIds: Schema.Array(OptionId).pipe(
    Schema.minItems(1, { message: () => "at least one option must be correct" })
  ),
  /** Default false. */
  partialCredit: Schema.optionalWith(Schema.Boolean, { default: () => false, exact: true })
}).pipe(
  Schema.filter((question) => {
    const known = new Set(question.options.map((option) => option.id))
    const unknown = question.correctOptionIds.find((id) => !known.has(id))
    if (unknown !== undefined) {
      return { path: ["correctOptionIds"], message: `the correct option ${unknown} is not one of the options` }
    }
    const repeated = repeatedId(question.correctOptionIds)
    return (
      repeated === undefined || {
        path: ["correctOptionIds"],
        message: `the correct option ${repeated} is listed twice`
      }
    )
  })
)

export const TrueFalseInput = strict({
  kind: Schema.Literal("trueFalse"),
  ...questionFields,
  correct: Schema.Boolean
})

export const AcceptedAnswer = Schema.Trim.pipe(
  Schema.minLength(1, { message: () => "an accepted answer is not empty" }),
  Schema.maxLength(500, { message: () => "an accepted answer is at most 500 characters" })
)

/**
 * A typed answer matching any of `acceptedAnswers`, both normalised: Unicode NFC, trimmed, inner whitespace runs
 * collapsed to one space, and lower-cased unless `caseSensitive`.
 */
export const ShortTextInput = strict({
  kind: Schema.Literal("shortText"),
  ...questionFields,
  acceptedAnswers: Schema.Array(AcceptedAnswer).pipe(
    Schema.minItems(1, { message: () => "at least one accepted answer" }),
    Schema.maxItems(maxOptions, { message: () => `at most ${maxOptions} accepted answers` })
  ),
  /** Default false. */
  caseSensitive: Schema.optionalWith(Schema.Boolean, { default: () => false, exact: true })
})

/** A number within `tolerance` of `answer` (inclusive). */
export const NumericInput = strict({
  kind: Schema.Literal("numeric"),
  ...questionFields,
  answer: Schema.Finite,
  /** Default 0 (exact). */
  tolerance: Schema.optionalWith(
    Schema.Finite.pipe(Schema.nonNegative({ message: () => "a tolerance is 0 or more" })),
    { default: () => 0, exact: true }
  )
})

/** `items` in the correct order; learners see them shuffled and score only with the exact order. */
export const OrderingInput = strict({
  kind: Schema.Literal("ordering"),
  ...questionFields,
  items: optionList("item")
})

export const MatchingPair = strict({ left: QuizOption, right: QuizOption })
const leftOf = (pair: typeof MatchingPair.Type) => pair.left
const rightOf = (pair: typeof MatchingPair.Type) => pair.right

/** Each left goes with the right of its pair; learners see the rights shuffled. Scores the fraction matched. */
export const MatchingInput = strict({
  kind: Schema.Literal("matching"),
  ...questionFields,
  pairs: Schema.Array(MatchingPair).pipe(
    Schema.minItems(2, { message: () => "at least 2 pairs" }),
    Schema.maxItems(maxOptions, { message: () => `at most ${maxOptions} pairs` }),
    Schema.filter((pairs) => [uniqueIds("left", pairs.map(leftOf)), uniqueIds("right", pairs.map(rightOf))])
  )
})

/** A question as its author writes it, with its answer. */
export const QuestionInput = Schema.Union(
  SingleChoiceInput,
  MultipleChoiceInput,
  TrueFalseInput,
  ShortTextInput,
  NumericInput,
  OrderingInput,
  MatchingInput
)
export type QuestionInput = typeof QuestionInput.Type

/** 1 to 200 questions with distinct ids. */
export const Questions = Schema.Array(QuestionInput).pipe(
  Schema.minItems(1, { message: () => "a quiz has at least one question" }),
  Schema.maxItems(maxQuestions, { message: () => `a quiz has at most ${maxQuestions} questions` }),
  Schema.filter((questions) => uniqueIds("question", questions))
)

export const ShowExplanations = Schema.Literal("afterSubmit", "afterPassing", "never").annotations({
  message: () => ({ message: "explanations show afterSubmit, afterPassing or never", override: true })
})
export type ShowExplanations = typeof ShowExplanations.Type

export const QuizSettings = strict({
  passingScorePercent: Schema.Number.pipe(
    Schema.between(0, 100, { message: () => "a passing score is 0 to 100 percent" })
  ),
  /** Null: unlimited. */
  attemptLimit: Schema.NullOr(intBetween(1, 1000, "an attempt limit is 1 to 1,000 (or null)")),
  /** Null: untimed. The server fixes an attempt's deadline when it starts and enforces it on submit. */
  timeLimitSeconds: Schema.NullOr(intBetween(10, 86_400, "a time limit is 10 to 86,400 seconds (or null)")),
  shuffleQuestions: Schema.Boolean,
  /** Shuffles choice options and matching lefts; ordering items and matching rights are always shuffled. */
  shuffleOptions: Schema.Boolean,
  /** `afterPassing`: only in a grade that passed. */
  showExplanations: ShowExplanations
})
export type QuizSettings = typeof QuizSettings.Type

export const QuizInput = strict({ courseId: CourseId, title: Title, questions: Questions, settings: QuizSettings })
export type QuizInput = typeof QuizInput.Type

/** Given fields replace the quiz's: `questions` is the whole new list, `settings` the whole new settings. */
export const QuizUpdate = strict({
  id: QuizId,
  title: Schema.optionalWith(Title, { exact: true }),
  questions: Schema.optionalWith(Questions, { exact: true }),
  settings: Schema.optionalWith(QuizSettings, { exact: true })
})
export type QuizUpdate = typeof QuizUpdate.Type

/** A quiz as its owner sees it: with the answers. */
export class Quiz extends Schema.Class<Quiz>("Quiz")({
  id: QuizId,
  courseId: CourseId,
  title: Schema.String,
  questions: Schema.Array(QuestionInput),
  settings: QuizSettings,
  createdAt: Schema.DateTimeUtc,
  updatedAt: Schema.DateTimeUtc
}) {}

// ---------------------------------------------------------------- the learner's view (no answers)

export const OptionView = Schema.Struct({ id: Schema.String, text: Schema.String })
export type OptionView = typeof OptionView.Type

const viewFields = { id: Schema.String, prompt: Schema.String, points: Schema.Int }

export const SingleChoiceView = Schema.Struct({
  kind: Schema.Literal("single"),
  ...viewFields,
  options: Schema.Array(OptionView)
})
export const MultipleChoiceView = Schema.Struct({
  kind: Schema.Literal("multiple"),
  ...viewFields,
  /** Whether a partly right selection scores (wrong picks then cost). */
  partialCredit: Schema.Boolean,
  options: Schema.Array(OptionView)
})
export const TrueFalseView = Schema.Struct({ kind: Schema.Literal("trueFalse"), ...viewFields })
export const ShortTextView = Schema.Struct({ kind: Schema.Literal("shortText"), ...viewFields })
export const NumericView = Schema.Struct({ kind: Schema.Literal("numeric"), ...viewFields })
/** The items shuffled; the answer lists every item id in the chosen order. */
export const OrderingView = Schema.Struct({
  kind: Schema.Literal("ordering"),
  ...viewFields,
  items: Schema.Array(OptionView)
})
/** Lefts and rights apart, the rights shuffled; the answer pairs left ids with right ids. */
export const MatchingView = Schema.Struct({
  kind: Schema.Literal("matching"),
  ...viewFields,
  lefts: Schema.Array(OptionView),
  rights: Schema.Array(OptionView)
})

/** A question as a learner sees it during an attempt: nothing of its answer or explanation. */
export const QuestionView = Schema.Union(
  SingleChoiceView,
  MultipleChoiceView,
  TrueFalseView,
  ShortTextView,
  NumericView,
  OrderingView,
  MatchingView
)
export type QuestionView = typeof QuestionView.Type

export class AttemptView extends Schema.Class<AttemptView>("AttemptView")({
  attemptId: AttemptId,
  quizId: QuizId,
  /** In the attempt's order (the same on every reload of this attempt). */
  questions: Schema.Array(QuestionView),
  startedAt: Schema.DateTimeUtc,
  /** Null for an untimed quiz. */
  deadline: Schema.NullOr(Schema.DateTimeUtc),
  /** 1 for the learner's first attempt at this quiz. */
  attemptNumber: Schema.Int
}) {}

// ---------------------------------------------------------------- answers

export const SingleAnswer = strict({ kind: Schema.Literal("single"), questionId: QuestionId, optionId: OptionId })
export const MultipleAnswer = strict({
  kind: Schema.Literal("multiple"),
  questionId: QuestionId,
  optionIds: Schema.Array(OptionId).pipe(Schema.maxItems(maxOptions))
})
export const TrueFalseAnswer = strict({
  kind: Schema.Literal("trueFalse"),
  questionId: QuestionId,
  value: Schema.Boolean
})
export const ShortTextAnswer = strict({
  kind: Schema.Literal("shortText"),
  questionId: QuestionId,
  text: Schema.String.pipe(Schema.maxLength(2000, { message: () => "an answer is at most 2,000 characters" }))
})
export const NumericAnswer = strict({
  kind: Schema.Literal("numeric"),
  questionId: QuestionId,
  value: Schema.Finite
})
/** Every item of the question, each once, in the chosen order. */
export const OrderingAnswer = strict({
  kind: Schema.Literal("ordering"),
  questionId: QuestionId,
  itemIds: Schema.Array(OptionId).pipe(Schema.maxItems(maxOptions))
})
/** Each left at most once; a left left out counts as unmatched. */
export const MatchingAnswer = strict({
  kind: Schema.Literal("matching"),
  questionId: QuestionId,
  pairs: Schema.Array(strict({ leftId: OptionId, rightId: OptionId })).pipe(Schema.maxItems(maxOptions))
})

/** The answer to one question; its `kind` must be the question's. An unanswered question scores 0. */
export const AnswerInput = Schema.Union(
  SingleAnswer,
  MultipleAnswer,
  TrueFalseAnswer,
  ShortTextAnswer,
  NumericAnswer,
  OrderingAnswer,
  MatchingAnswer
)
export type AnswerInput = typeof AnswerInput.Type

export const SubmitInput = strict({
  attemptId: AttemptId,
  answers: Schema.Array(AnswerInput).pipe(
    Schema.maxItems(maxQuestions, { message: () => `at most ${maxQuestions} answers` })
  )
})
export type SubmitInput = typeof SubmitInput.Type

// ---------------------------------------------------------------- results

export class QuestionResult extends Schema.Class<QuestionResult>("QuestionResult")({
  questionId: QuestionId,
  /** Fractional with partial credit; rounded to 2 decimals. */
  pointsAwarded: Schema.Number,
  pointsPossible: Schema.Int,
  /** Full marks. */
  correct: Schema.Boolean,
  /** Null when the question has none, or the quiz's settings do not show it (yet). */
  explanation: Schema.NullOr(Schema.String)
}) {}

export class GradedAttempt extends Schema.Class<GradedAttempt>("GradedAttempt")({
  attemptId: AttemptId,
  quizId: QuizId,
  /** Awarded over possible points × 100, rounded to 2 decimals. */
  scorePercent: Schema.Number,
  /** Rounded to 2 decimals. */
  pointsAwarded: Schema.Number,
  pointsPossible: Schema.Int,
  /** `scorePercent` ≥ the quiz's passing score. */
  passed: Schema.Boolean,
  /** When the server received the answers. */
  submittedAt: Schema.DateTimeUtc,
  /** Received after the deadline, within the grace the server allows for the network. */
  late: Schema.Boolean,
  /** In the quiz's question order. */
  results: Schema.Array(QuestionResult)
}) {}

export const AttemptStatus = Schema.Literal("inProgress", "submitted", "expired")
export type AttemptStatus = typeof AttemptStatus.Type

/** One attempt in a list: the learner's own, or every learner's for the quiz's owner. */
export class AttemptSummary extends Schema.Class<AttemptSummary>("AttemptSummary")({
  attemptId: AttemptId,
  quizId: QuizId,
  userId: UserId,
  attemptNumber: Schema.Int,
  status: AttemptStatus,
  startedAt: Schema.DateTimeUtc,
  deadline: Schema.NullOr(Schema.DateTimeUtc),
  /** Null until submitted (and for an expired attempt). */
  submittedAt: Schema.NullOr(Schema.DateTimeUtc),
  scorePercent: Schema.NullOr(Schema.Number),
  passed: Schema.NullOr(Schema.Boolean),
  late: Schema.Boolean
}) {}

// ---------------------------------------------------------------- errors

export class QuizNotFound extends Schema.TaggedError<QuizNotFound>()("QuizNotFound", {
  /** A quiz the caller may not see is not found either. */
  id: Schema.String
}) {}

export class AttemptNotFound extends Schema.TaggedError<AttemptNotFound>()("AttemptNotFound", {
  /** Another learner's attempt is not found either. */
  id: Schema.String
}) {}

/** The learner has used every attempt the quiz allows. */
export class AttemptLimitReached extends Schema.TaggedError<AttemptLimitReached>()("AttemptLimitReached", {
  limit: Schema.Int
}) {}

export class AttemptAlreadySubmitted extends Schema.TaggedError<AttemptAlreadySubmitted>()("AttemptAlreadySubmitted", {
  id: Schema.String
}) {}

/** The caller has no attempt at this quiz that is started, not submitted and before its deadline. */
export class NoOpenAttempt extends Schema.TaggedError<NoOpenAttempt>()("NoOpenAttempt", {
  quizId: Schema.String
}) {}

/** The answers arrived after the attempt's deadline and the network grace: they are not graded. */
export class AttemptExpired extends Schema.TaggedError<AttemptExpired>()("AttemptExpired", {
  attemptId: AttemptId,
  deadline: Schema.DateTimeUtc
}) {}

/**
 * Answers that do not fit the attempt's quiz: a question not in it (another quiz's), a kind that is not the
 * question's, a question answered twice, or option, item or side ids the question does not have.
 */
export class InvalidAnswers extends Schema.TaggedError<InvalidAnswers>()("InvalidAnswers", {
  message: Schema.String
}) {}
