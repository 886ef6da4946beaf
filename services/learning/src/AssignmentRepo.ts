// AssignmentRepo: the SQL of assignments, submissions and their attachments; SqlError dies here.
import { SqlClient } from "@effect/sql"
import type * as Assignment from "@lectern/contracts/LearningAssignment"
import type { CourseId, UserId } from "@lectern/domain"
import { dieOnSqlError } from "@lectern/platform/Database"
import { Effect, Option } from "effect"
import type { SubmissionFile } from "./SubmissionFiles.ts"

export interface AssignmentRow {
  readonly id: Assignment.AssignmentId
  readonly courseId: CourseId
  readonly title: string
  readonly instructions: string
  readonly rubric: string
  readonly maxScore: number
  readonly dueAt: Date | null
  readonly createdAt: Date
  readonly updatedAt: Date
}

export interface SubmissionRow {
  readonly id: Assignment.SubmissionId
  readonly assignmentId: Assignment.AssignmentId
  readonly userId: UserId
  readonly text: string | null
  readonly revision: number
  readonly submittedAt: Date
  readonly score: number | null
  readonly feedback: string | null
  readonly gradedAt: Date | null
}

export interface AttachmentRow extends SubmissionFile {
  readonly submissionId: Assignment.SubmissionId
}

const ASSIGNMENT_COLUMNS = `id, course_id AS "courseId", title, instructions, rubric, max_score AS "maxScore",
  due_at AS "dueAt", created_at AS "createdAt", updated_at AS "updatedAt"`
const SUBMISSION_COLUMNS = `id, assignment_id AS "assignmentId", user_id AS "userId", text, revision,
  submitted_at AS "submittedAt", score, feedback, graded_at AS "gradedAt"`
const ATTACHMENT_COLUMNS = `upload_id AS "uploadId", submission_id AS "submissionId", filename,
  size_bytes::float8 AS "sizeBytes", content_type AS "contentType"`

const first = <A>(rows: ReadonlyArray<A>) => Option.fromNullable(rows[0])

export class AssignmentRepo extends Effect.Service<AssignmentRepo>()("@lectern/learning/AssignmentRepo", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const unsafe = <A extends object>(text: string, params: ReadonlyArray<unknown>) =>
      sql.unsafe<A>(text, params as Array<unknown>)

    const insertAssignment = (row: Omit<AssignmentRow, "createdAt" | "updatedAt">) =>
      unsafe<AssignmentRow>(
        `INSERT INTO learning.assignments (id, course_id, title, instructions, rubric, max_score, due_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${ASSIGNMENT_COLUMNS}`,
        [row.id, row.courseId, row.title, row.instructions, row.rubric, row.maxScore, row.dueAt]
      ).pipe(Effect.map((rows) => rows[0] as AssignmentRow))

    const assignmentById = (id: string) =>
      unsafe<AssignmentRow>(
        `SELECT ${ASSIGNMENT_COLUMNS} FROM learning.assignments WHERE id = $1 AND deleted_at IS NULL`,
        [id]
      ).pipe(Effect.map(first))

    const assignmentsOf = (courseId: CourseId) =>
      unsafe<AssignmentRow>(
        `SELECT ${ASSIGNMENT_COLUMNS} FROM learning.assignments WHERE course_id = $1 AND deleted_at IS NULL
         ORDER BY due_at NULLS LAST, created_at, id`,
        [courseId]
      )

    const updateAssignment = (
      id: string,
      patch: Pick<AssignmentRow, "title" | "instructions" | "rubric" | "maxScore" | "dueAt">
    ) =>
      unsafe<AssignmentRow>(
        `UPDATE learning.assignments SET title = $2, instructions = $3, rubric = $4, max_score = $5, due_at = $6,
           updated_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING ${ASSIGNMENT_COLUMNS}`,
        [id, patch.title, patch.instructions, patch.rubric, patch.maxScore, patch.dueAt]
      ).pipe(Effect.map(first))

    const deleteAssignment = (id: string) =>
      unsafe(`UPDATE learning.assignments SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL`, [id])

    /** The highest score given on the assignment, or null. */
    const highestScore = (assignmentId: string) =>
      unsafe<{ highest: number | null }>(
        `SELECT max(score) AS highest FROM learning.assignment_submissions WHERE assignment_id = $1`,
        [assignmentId]
      ).pipe(Effect.map((rows) => rows[0]?.highest ?? null))

    // ------------------------------------------------------------ submissions

    /**
     * Creates the learner's submission or replaces an ungraded one (revision + 1), and holds its row lock for the
     * transaction; None when the existing one is graded (it is left as it is).
     */
    const upsertSubmission = (row: {
      readonly id: string
      readonly assignmentId: string
      readonly userId: UserId
      readonly text: string | null
      readonly submittedAt: Date
    }) =>
      unsafe<SubmissionRow>(
        `INSERT INTO learning.assignment_submissions (id, assignment_id, user_id, text, submitted_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (assignment_id, user_id) DO UPDATE SET text = EXCLUDED.text,
           submitted_at = EXCLUDED.submitted_at, revision = learning.assignment_submissions.revision + 1
         WHERE learning.assignment_submissions.graded_at IS NULL
         RETURNING ${SUBMISSION_COLUMNS}`,
        [row.id, row.assignmentId, row.userId, row.text, row.submittedAt]
      ).pipe(Effect.map(first))

    const submissionOf = (assignmentId: string, userId: UserId) =>
      unsafe<SubmissionRow>(
        `SELECT ${SUBMISSION_COLUMNS} FROM learning.assignment_submissions WHERE assignment_id = $1 AND user_id = $2`,
        [assignmentId, userId]
      ).pipe(Effect.map(first))

    const submissionById = (id: string) =>
      unsafe<SubmissionRow>(`SELECT ${SUBMISSION_COLUMNS} FROM learning.assignment_submissions WHERE id = $1`, [
        id
      ]).pipe(Effect.map(first))

    /** The assignment's submissions, everyone's or one learner's. */
    const submissionsOf = (assignmentId: string, userId: UserId | undefined) =>
      userId === undefined
        ? unsafe<SubmissionRow>(
            `SELECT ${SUBMISSION_COLUMNS} FROM learning.assignment_submissions WHERE assignment_id = $1
             ORDER BY submitted_at, id`,
            [assignmentId]
          )
        : unsafe<SubmissionRow>(
            `SELECT ${SUBMISSION_COLUMNS} FROM learning.assignment_submissions WHERE assignment_id = $1
             AND user_id = $2`,
            [assignmentId, userId]
          )

    const saveGrade = (
      id: string,
      grade: { readonly score: number; readonly feedback: string; readonly gradedBy: UserId; readonly at: Date }
    ) =>
      unsafe<SubmissionRow>(
        `UPDATE learning.assignment_submissions SET score = $2, feedback = $3, graded_by = $4, graded_at = $5
         WHERE id = $1 RETURNING ${SUBMISSION_COLUMNS}`,
        [id, grade.score, grade.feedback, grade.gradedBy, grade.at]
      ).pipe(Effect.map((rows) => rows[0] as SubmissionRow))

    // ------------------------------------------------------------ attachments

    const attachmentsOf = (submissionIds: ReadonlyArray<string>) =>
      submissionIds.length === 0
        ? Effect.succeed<ReadonlyArray<AttachmentRow>>([])
        : unsafe<AttachmentRow>(
            `SELECT ${ATTACHMENT_COLUMNS} FROM learning.submission_attachments
             WHERE submission_id = ANY($1::uuid[]) ORDER BY submission_id, position`,
            [submissionIds]
          )

    const attachment = (submissionId: string, uploadId: string) =>
      unsafe<AttachmentRow>(
        `SELECT ${ATTACHMENT_COLUMNS} FROM learning.submission_attachments WHERE submission_id = $1 AND upload_id = $2`,
        [submissionId, uploadId]
      ).pipe(Effect.map(first))

    /** Makes the submission's attachments exactly `files`, in order. */
    const replaceAttachments = (submissionId: string, files: ReadonlyArray<SubmissionFile>) =>
      Effect.gen(function* () {
        yield* unsafe(
          `DELETE FROM learning.submission_attachments WHERE submission_id = $1 AND NOT (upload_id = ANY($2::text[]))`,
          [submissionId, files.map((file) => file.uploadId)]
        )
        let position = 0
        for (const file of files) {
          yield* unsafe(
            `INSERT INTO learning.submission_attachments
               (upload_id, submission_id, filename, size_bytes, content_type, position)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (upload_id) DO UPDATE SET position = EXCLUDED.position
             WHERE learning.submission_attachments.submission_id = EXCLUDED.submission_id`,
            [file.uploadId, submissionId, file.filename, file.sizeBytes, file.contentType, position++]
          )
        }
      })

    return {
      insertAssignment: dieOnSqlError(insertAssignment),
      assignmentById: dieOnSqlError(assignmentById),
      assignmentsOf: dieOnSqlError(assignmentsOf),
      updateAssignment: dieOnSqlError(updateAssignment),
      deleteAssignment: dieOnSqlError(deleteAssignment),
      highestScore: dieOnSqlError(highestScore),
      upsertSubmission: dieOnSqlError(upsertSubmission),
      submissionOf: dieOnSqlError(submissionOf),
      submissionById: dieOnSqlError(submissionById),
      submissionsOf: dieOnSqlError(submissionsOf),
      saveGrade: dieOnSqlError(saveGrade),
      attachmentsOf: dieOnSqlError(attachmentsOf),
      attachment: dieOnSqlError(attachment),
      replaceAttachments: dieOnSqlError(replaceAttachments)
    }
  })
}) {}
