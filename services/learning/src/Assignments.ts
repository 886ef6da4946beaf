// Assignments: set by the course's owner, handed in by its enrolled learners (text and uploaded files, replaced on
// resubmission until graded or due), graded by the owner or an admin; each hand-in and grade emits its event.
import { type AuthenticatedUser, Learning as Contract } from "@lectern/contracts"
import * as Assignment from "@lectern/contracts/LearningAssignment"
import { type CourseId, Forbidden, type UserId } from "@lectern/domain"
import { appendEvent } from "@lectern/platform/Outbox"
import { DateTime, Effect, Option } from "effect"
import { AssignmentRepo, type AssignmentRow, type AttachmentRow, type SubmissionRow } from "./AssignmentRepo.ts"
import { CatalogReader } from "./CatalogReader.ts"
import { LearnerDirectory } from "./LearnerDirectory.ts"
import { LEARNING_SCHEMA, LearningRepo } from "./Repo.ts"
import { type SubmissionFile, SubmissionFiles } from "./SubmissionFiles.ts"

const utc = (date: Date | null) => (date === null ? null : DateTime.unsafeFromDate(date))

const toAssignment = (row: AssignmentRow) =>
  new Assignment.Assignment(
    {
      id: row.id,
      courseId: row.courseId,
      title: row.title,
      instructions: row.instructions,
      rubric: row.rubric,
      maxScore: row.maxScore,
      dueAt: utc(row.dueAt),
      createdAt: DateTime.unsafeFromDate(row.createdAt),
      updatedAt: DateTime.unsafeFromDate(row.updatedAt)
    },
    true
  )

const toSubmission = (row: SubmissionRow, files: ReadonlyArray<SubmissionFile>, learnerName: string | null) =>
  new Assignment.Submission(
    {
      id: row.id,
      assignmentId: row.assignmentId,
      userId: row.userId,
      learnerName,
      text: row.text,
      attachments: files.map(
        (file) =>
          new Assignment.Attachment(
            {
              uploadId: file.uploadId,
              filename: file.filename,
              sizeBytes: file.sizeBytes,
              contentType: file.contentType,
              downloadUrl: Contract.attachmentPath(row.id, file.uploadId)
            },
            true
          )
      ),
      revision: row.revision,
      submittedAt: DateTime.unsafeFromDate(row.submittedAt),
      status: row.gradedAt === null ? "submitted" : "graded",
      score: row.gradedAt === null ? null : row.score,
      feedback: row.gradedAt === null ? null : row.feedback,
      gradedAt: utc(row.gradedAt)
    },
    true
  )

const groupBySubmission = (rows: ReadonlyArray<AttachmentRow>) => {
  const groups = new Map<string, Array<AttachmentRow>>()
  for (const row of rows) {
    const group = groups.get(row.submissionId)
    if (group === undefined) groups.set(row.submissionId, [row])
    else group.push(row)
  }
  return groups
}

export class Assignments extends Effect.Service<Assignments>()("@lectern/learning/Assignments", {
  effect: Effect.gen(function* () {
    const repo = yield* AssignmentRepo
    const learning = yield* LearningRepo
    const catalog = yield* CatalogReader
    const directory = yield* LearnerDirectory
    const nameOf = (userId: UserId) => Effect.map(directory.displayName(userId), Option.getOrNull)
    const files = yield* SubmissionFiles

    const editable = (user: AuthenticatedUser, courseId: CourseId) =>
      Effect.flatMap(catalog.mayEdit(user, courseId), (may) =>
        may
          ? Effect.void
          : Effect.fail(new Forbidden({ message: "only the course's owner or an admin manages its assignments" }))
      )

    const assignmentOrFail = (id: Assignment.AssignmentId) =>
      Effect.flatMap(repo.assignmentById(id), (row) =>
        Option.isSome(row) ? Effect.succeed(row.value) : Effect.fail(new Assignment.AssignmentNotFound({ id }))
      )

    const create = (user: AuthenticatedUser, input: Assignment.AssignmentInput) =>
      Effect.gen(function* () {
        yield* editable(user, input.courseId)
        const row = yield* repo.insertAssignment({
          id: Assignment.AssignmentId.make(crypto.randomUUID()),
          courseId: input.courseId,
          title: input.title,
          instructions: input.instructions,
          rubric: input.rubric,
          maxScore: input.maxScore,
          dueAt: input.dueAt === undefined ? null : DateTime.toDateUtc(input.dueAt)
        })
        return toAssignment(row)
      })

    const update = (user: AuthenticatedUser, input: Assignment.AssignmentUpdate) =>
      Effect.gen(function* () {
        const current = yield* assignmentOrFail(input.id)
        yield* editable(user, current.courseId)
        const maxScore = input.maxScore ?? current.maxScore
        const highest = yield* repo.highestScore(input.id)
        if (highest !== null && highest > maxScore) {
          return yield* Effect.fail(
            new Assignment.InvalidGrade({ message: `a submission already scored ${highest}, above ${maxScore}` })
          )
        }
        const row = yield* repo.updateAssignment(input.id, {
          title: input.title ?? current.title,
          instructions: input.instructions ?? current.instructions,
          rubric: input.rubric ?? current.rubric,
          maxScore,
          dueAt:
            input.dueAt === undefined ? current.dueAt : input.dueAt === null ? null : DateTime.toDateUtc(input.dueAt)
        })
        if (Option.isNone(row)) return yield* Effect.fail(new Assignment.AssignmentNotFound({ id: input.id }))
        return toAssignment(row.value)
      })

    const remove = (user: AuthenticatedUser, id: Assignment.AssignmentId) =>
      Effect.gen(function* () {
        const row = yield* assignmentOrFail(id)
        yield* editable(user, row.courseId)
        yield* repo.deleteAssignment(id)
      })

    const list = (user: AuthenticatedUser, courseId: CourseId) =>
      Effect.gen(function* () {
        if (!(yield* catalog.mayEdit(user, courseId)) && !(yield* learning.isEnrolled(user.id, courseId))) {
          return yield* Effect.fail(new Contract.NotEnrolled({ courseId }))
        }
        return (yield* repo.assignmentsOf(courseId)).map(toAssignment)
      })

    /** The upload as an attachment of `user`'s: taken from media, and within the size limit. */
    const claim = (user: AuthenticatedUser, uploadId: string) =>
      Effect.gen(function* () {
        const file = yield* files.claim(user.id, uploadId)
        if (file.sizeBytes > Assignment.maxAttachmentBytes) {
          return yield* Effect.fail(
            new Assignment.AttachmentRejected({
              uploadId,
              reason: "tooLarge",
              message: `an attachment is at most ${Assignment.maxAttachmentBytes} bytes; this one is ${file.sizeBytes}`
            })
          )
        }
        return file
      })

    const submit = (user: AuthenticatedUser, input: Assignment.SubmitInput) =>
      Effect.gen(function* () {
        const assignment = yield* assignmentOrFail(input.assignmentId)
        if (!(yield* learning.isEnrolled(user.id, assignment.courseId))) {
          return yield* Effect.fail(new Contract.NotEnrolled({ courseId: assignment.courseId }))
        }
        const now = yield* DateTime.now
        if (assignment.dueAt !== null && DateTime.toEpochMillis(now) > assignment.dueAt.getTime()) {
          return yield* Effect.fail(
            new Assignment.AssignmentClosed({
              assignmentId: assignment.id,
              dueAt: DateTime.unsafeFromDate(assignment.dueAt)
            })
          )
        }
        const text = input.text === undefined || input.text.length === 0 ? null : input.text
        const outcome = yield* learning.withTransaction(
          Effect.gen(function* () {
            // The upsert locks the learner's row: their concurrent submissions take turns from here.
            const saved = yield* repo.upsertSubmission({
              id: crypto.randomUUID(),
              assignmentId: assignment.id,
              userId: user.id,
              text,
              submittedAt: DateTime.toDateUtc(now)
            })
            if (Option.isNone(saved)) {
              const graded = yield* repo.submissionOf(assignment.id, user.id)
              return yield* Effect.fail(
                new Assignment.AlreadyGraded({
                  submissionId: Option.match(graded, { onNone: () => "", onSome: (row) => row.id })
                })
              )
            }
            const row = saved.value
            const before = new Map((yield* repo.attachmentsOf([row.id])).map((file) => [file.uploadId, file]))
            const attached: Array<SubmissionFile> = []
            for (const uploadId of input.attachments) {
              attached.push(before.get(uploadId) ?? (yield* claim(user, uploadId)))
            }
            yield* repo.replaceAttachments(row.id, attached)
            yield* appendEvent(LEARNING_SCHEMA, {
              type: "assignment.submitted",
              source: "learning",
              payload: {
                submissionId: row.id,
                assignmentId: assignment.id,
                courseId: assignment.courseId,
                userId: user.id,
                revision: row.revision,
                attachmentCount: attached.length
              }
            })
            const kept = new Set(input.attachments)
            const dropped = [...before.keys()].filter((uploadId) => !kept.has(uploadId))
            return { row, attached, dropped }
          })
        )
        // Files the new submission no longer lists are deleted once it is committed (a failure only leaves bytes).
        yield* Effect.forEach(outcome.dropped, (uploadId) => files.discard(uploadId), { discard: true }).pipe(
          Effect.catchAllCause((cause) => Effect.logWarning("could not delete dropped attachments", cause))
        )
        return toSubmission(outcome.row, outcome.attached, yield* nameOf(outcome.row.userId))
      }).pipe(Effect.withSpan("Assignments.submit"))

    const grade = (user: AuthenticatedUser, input: Assignment.GradeInput) =>
      Effect.gen(function* () {
        const notFound = new Assignment.SubmissionNotFound({ id: input.submissionId })
        const submission = yield* repo.submissionById(input.submissionId)
        if (Option.isNone(submission)) return yield* Effect.fail(notFound)
        const assignment = yield* repo.assignmentById(submission.value.assignmentId)
        if (Option.isNone(assignment)) return yield* Effect.fail(notFound)
        yield* editable(user, assignment.value.courseId)
        const { maxScore } = assignment.value
        if (input.score > maxScore) {
          return yield* Effect.fail(
            new Assignment.InvalidGrade({ message: `a score is 0 to ${maxScore}; ${input.score} is above it` })
          )
        }
        const at = DateTime.toDateUtc(yield* DateTime.now)
        const row = yield* learning.withTransaction(
          Effect.gen(function* () {
            const graded = yield* repo.saveGrade(input.submissionId, {
              score: input.score,
              feedback: input.feedback,
              gradedBy: user.id,
              at
            })
            yield* appendEvent(LEARNING_SCHEMA, {
              type: "assignment.graded",
              source: "learning",
              payload: {
                submissionId: graded.id,
                assignmentId: graded.assignmentId,
                courseId: assignment.value.courseId,
                userId: graded.userId,
                gradedBy: user.id,
                score: input.score,
                maxScore
              }
            })
            return graded
          })
        )
        return toSubmission(row, yield* repo.attachmentsOf([row.id]), yield* nameOf(row.userId))
      })

    /** Every learner's submission for the owner (or an admin); the caller's own for anyone else. */
    const submissions = (user: AuthenticatedUser, assignmentId: Assignment.AssignmentId) =>
      Effect.gen(function* () {
        const assignment = yield* assignmentOrFail(assignmentId)
        const everyone = yield* catalog.mayEdit(user, assignment.courseId)
        const rows = yield* repo.submissionsOf(assignmentId, everyone ? undefined : user.id)
        const attachments = groupBySubmission(yield* repo.attachmentsOf(rows.map((row) => row.id)))
        const names = yield* directory.displayNames(rows.map((row) => row.userId))
        return rows.map((row) => toSubmission(row, attachments.get(row.id) ?? [], names.get(row.userId) ?? null))
      })

    /** An attachment's facts and bytes, for its submitter, the course's owner or an admin; None for anyone else. */
    const attachmentDownload = (user: AuthenticatedUser, submissionId: string, uploadId: string) =>
      Effect.gen(function* () {
        const submission = yield* repo.submissionById(submissionId)
        if (Option.isNone(submission)) return Option.none()
        if (submission.value.userId !== user.id) {
          const assignment = yield* repo.assignmentById(submission.value.assignmentId)
          if (Option.isNone(assignment) || !(yield* catalog.mayEdit(user, assignment.value.courseId))) {
            return Option.none()
          }
        }
        const file = yield* repo.attachment(submissionId, uploadId)
        if (Option.isNone(file)) return Option.none()
        const bytes = yield* files.open(uploadId)
        return Option.map(bytes, (opened) => ({ file: file.value, ...opened }))
      })

    return { create, update, remove, list, submit, grade, submissions, attachmentDownload }
  })
}) {}
