// Maps every LearningRpcs call to the Learning service, and nothing else.
import { Learning as Contract, CurrentUser } from "@lectern/contracts"
import { Effect } from "effect"
import { Learning } from "./Learning.ts"
import { Quizzes } from "./Quizzes.ts"

export const LearningHandlers = Contract.LearningRpcs.toLayer(
  Effect.gen(function* () {
    const learning = yield* Learning
    const quizzes = yield* Quizzes
    const withUser = <A, E, R>(f: (user: CurrentUser["Type"]) => Effect.Effect<A, E, R>) =>
      Effect.flatMap(CurrentUser, f)
    return Contract.LearningRpcs.of({
      "enrollment.enroll": (input) => withUser((user) => learning.enroll(user, input.courseId)),
      "enrollment.leave": (input) => withUser((user) => learning.leave(user, input.courseId)),
      "enrollment.mine": () => withUser(learning.mine),
      "enrollment.get": (input) => withUser((user) => learning.get(user, input.courseId)),
      "enrollment.roster": (input) => withUser((user) => learning.roster(user, input)),
      "progress.heartbeat": (input) => withUser((user) => learning.heartbeat(user, input)),
      "progress.completeLesson": (input) => withUser((user) => learning.completeLesson(user, input.lessonId)),
      "progress.course": (input) => withUser((user) => learning.courseProgress(user, input.courseId)),
      "quiz.create": (input) => withUser((user) => quizzes.create(user, input)),
      "quiz.update": (input) => withUser((user) => quizzes.update(user, input)),
      "quiz.delete": (input) => withUser((user) => quizzes.remove(user, input.id)),
      "quiz.start": (input) => withUser((user) => quizzes.start(user, input.quizId)),
      "quiz.submit": (input) => withUser((user) => quizzes.submit(user, input)),
      "quiz.attempts": (input) => withUser((user) => quizzes.attempts(user, input.quizId))
    })
  })
)
