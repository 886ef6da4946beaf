// Certificates: issued exactly once when a learner has completed every lesson of a course and passed every quiz of
// it; their codes verify only against the stored facts and the server's secret, so an altered row does not verify.
import { SqlClient } from "@effect/sql"
import type { CourseId, UserId } from "@lectern/domain"
import { dieOnSqlError } from "@lectern/platform/Database"
import { appendEvent } from "@lectern/platform/Outbox"
import { Config, DateTime, Effect, Option, Redacted } from "effect"
import {
  codeMatches,
  newCertificateId,
  parseVerificationCode,
  renderCertificatePdf,
  verificationCode
} from "./Certificates.ts"
import { LearnerDirectory } from "./LearnerDirectory.ts"
import { LEARNING_SCHEMA } from "./Repo.ts"

export const CertificateSettings = Config.all({
  /** HMAC key of verification codes; keep it stable (a new one makes every issued code fail to verify). */
  secret: Config.redacted("CERTIFICATE_SECRET").pipe(
    Config.withDefault(Redacted.make("lectern-development-certificate-secret"))
  ),
  /** Where `/verify/<code>` is served (printed as a QR code on the PDF). */
  publicUrl: Config.string("PUBLIC_URL").pipe(Config.withDefault("http://localhost:3000"))
})

export interface CertificateRow {
  readonly id: string
  readonly userId: UserId
  readonly courseId: CourseId
  readonly learnerName: string
  readonly courseTitle: string
  readonly issuedAt: Date
  readonly code: string
}

const COLUMNS = `id, user_id AS "userId", course_id AS "courseId", learner_name AS "learnerName",
  course_title AS "courseTitle", issued_at AS "issuedAt", code`

export class CertificateIssuer extends Effect.Service<CertificateIssuer>()("@lectern/learning/CertificateIssuer", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const directory = yield* LearnerDirectory
    const settings = yield* CertificateSettings
    const secret = Redacted.value(settings.secret)
    const unsafe = <A extends object>(text: string, params: ReadonlyArray<unknown>) =>
      sql.unsafe<A>(text, params as Array<unknown>)

    /** Whether the learner has finished the course: enrollment completed, and a passed attempt at every quiz. */
    const earned = (userId: UserId, courseId: CourseId) =>
      unsafe<{ earned: boolean; title: string | null }>(
        `SELECT (e.completed_at IS NOT NULL AND NOT EXISTS (
             SELECT 1 FROM learning.quizzes q WHERE q.course_id = e.course_id AND q.deleted_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM learning.quiz_attempts a
                 WHERE a.quiz_id = q.id AND a.user_id = e.user_id AND a.passed))) AS earned,
           c.title
         FROM learning.enrollments e JOIN learning.courses c ON c.course_id = e.course_id
         WHERE e.user_id = $1 AND e.course_id = $2`,
        [userId, courseId]
      ).pipe(Effect.map((rows) => rows[0]))

    /**
     * Issues the certificate when it is earned and not issued yet (inside the caller's transaction). Concurrent
     * final steps race on the (learner, course) key: one inserts, the others change nothing.
     */
    const issueIfEarned = (userId: UserId, courseId: CourseId) =>
      Effect.gen(function* () {
        const state = yield* earned(userId, courseId)
        if (state === undefined || !state.earned) return Option.none<CertificateRow>()
        const learnerName = Option.getOrElse(yield* directory.displayName(userId), () => "A Lectern learner")
        const id = newCertificateId()
        // The service's clock, like every other learning timestamp (tests move it).
        const issuedAt = DateTime.toDateUtc(yield* DateTime.now)
        const code = verificationCode({ secret, certificateId: id, learnerId: userId, courseId, issuedAt })
        const rows = yield* unsafe<CertificateRow>(
          `INSERT INTO learning.certificates (id, user_id, course_id, learner_name, course_title, issued_at, code)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id, course_id) DO NOTHING RETURNING ${COLUMNS}`,
          [id, userId, courseId, learnerName, state.title ?? "", issuedAt, code]
        )
        const issued = Option.fromNullable(rows[0])
        if (Option.isSome(issued)) {
          yield* appendEvent(LEARNING_SCHEMA, {
            type: "certificate.issued",
            source: "learning",
            payload: { certificateId: id, userId, courseId }
          })
        }
        return issued
      })

    const mine = (userId: UserId) =>
      unsafe<CertificateRow>(
        `SELECT ${COLUMNS} FROM learning.certificates WHERE user_id = $1 ORDER BY issued_at DESC`,
        [userId]
      )

    const byId = (id: string) =>
      unsafe<CertificateRow>(`SELECT ${COLUMNS} FROM learning.certificates WHERE id = $1`, [id]).pipe(
        Effect.map((rows) => Option.fromNullable(rows[0]))
      )

    /** The certificate a code names, when the code is well-formed, stored, and still matches the stored facts. */
    const verify = (text: string) =>
      Effect.gen(function* () {
        const code = parseVerificationCode(text)
        if (code === undefined) return Option.none<CertificateRow>()
        const rows = yield* unsafe<CertificateRow>(`SELECT ${COLUMNS} FROM learning.certificates WHERE code = $1`, [
          code
        ])
        const row = rows[0]
        if (row === undefined) return Option.none<CertificateRow>()
        const fields = { certificateId: row.id, learnerId: row.userId, courseId: row.courseId, issuedAt: row.issuedAt }
        return codeMatches(secret, fields, code) ? Option.some(row) : Option.none<CertificateRow>()
      })

    const pdf = (row: CertificateRow) =>
      Effect.promise(() =>
        renderCertificatePdf({
          learnerName: row.learnerName,
          courseTitle: row.courseTitle,
          issuedAt: row.issuedAt,
          code: row.code,
          verifyUrl: `${settings.publicUrl}/verify/${encodeURIComponent(row.code)}`
        })
      )

    return {
      issueIfEarned: dieOnSqlError(issueIfEarned),
      mine: dieOnSqlError(mine),
      byId: dieOnSqlError(byId),
      verify: dieOnSqlError(verify),
      pdf
    }
  })
}) {}
