// Maps every LearningRpcs call to the Learning service, and nothing else.
import { Learning as Contract, CurrentUser } from "@lectern/contracts"
import { DateTime, Effect, Option } from "effect"
import { Assignments } from "./Assignments.ts"
import { CertificateIssuer, type CertificateRow } from "./CertificateIssuer.ts"
import { Learning } from "./Learning.ts"
import { Quizzes } from "./Quizzes.ts"
import { Recommendations } from "./Recommendations.ts"

const toCertificate = (row: CertificateRow) =>
  new Contract.Certificate(
    {
      id: row.id,
      courseId: row.courseId,
      courseTitle: row.courseTitle,
      learnerName: row.learnerName,
      issuedAt: DateTime.unsafeFromDate(row.issuedAt),
      code: row.code
    },
    true
  )

export const LearningHandlers = Contract.LearningRpcs.toLayer(
  Effect.gen(function* () {
    const learning = yield* Learning
    const quizzes = yield* Quizzes
    const certificates = yield* CertificateIssuer
    const assignments = yield* Assignments
    const recommendations = yield* Recommendations
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
      "quiz.get": (input) => withUser((user) => quizzes.get(user, input.id)),
      "quiz.list": (input) => withUser((user) => quizzes.list(user, input.courseId)),
      "quiz.delete": (input) => withUser((user) => quizzes.remove(user, input.id)),
      "quiz.start": (input) => withUser((user) => quizzes.start(user, input.quizId)),
      "quiz.current": (input) => withUser((user) => quizzes.current(user, input.quizId)),
      "quiz.submit": (input) => withUser((user) => quizzes.submit(user, input)),
      "quiz.attempts": (input) => withUser((user) => quizzes.attempts(user, input.quizId)),
      "assignment.create": (input) => withUser((user) => assignments.create(user, input)),
      "assignment.update": (input) => withUser((user) => assignments.update(user, input)),
      "assignment.delete": (input) => withUser((user) => assignments.remove(user, input.id)),
      "assignment.list": (input) => withUser((user) => assignments.list(user, input.courseId)),
      "assignment.submit": (input) => withUser((user) => assignments.submit(user, input)),
      "assignment.grade": (input) => withUser((user) => assignments.grade(user, input)),
      "assignment.submissions": (input) => withUser((user) => assignments.submissions(user, input.assignmentId)),
      "recommend.forMe": (input) => withUser((user) => recommendations.forMe(user, input.limit ?? 6)),
      "certificate.mine": () =>
        withUser((user) => Effect.map(certificates.mine(user.id), (rows) => rows.map(toCertificate))),
      "certificate.get": (input) =>
        withUser((user) =>
          Effect.gen(function* () {
            const row = yield* certificates.byId(input.id)
            // Someone else's certificate is not found: its holder shares the code, not the id.
            if (Option.isNone(row) || (row.value.userId !== user.id && user.role !== "admin")) {
              return yield* Effect.fail(new Contract.CertificateNotFound({ id: input.id }))
            }
            return new Contract.CertificateDocument(
              { certificate: toCertificate(row.value), pdfUrl: Contract.certificatePdfPath(row.value.id) },
              true
            )
          })
        ),
      "certificate.verify": (input) =>
        Effect.map(certificates.verify(input.code), (row) =>
          Option.match(row, {
            onNone: () => ({ valid: false as const }),
            onSome: (found) => ({
              valid: true as const,
              learnerName: found.learnerName,
              courseTitle: found.courseTitle,
              issuedAt: DateTime.unsafeFromDate(found.issuedAt)
            })
          })
        )
    })
  })
)
