// The embedded default Mailer: mails are stored in mail.dev_outbox, and DevOutbox lists them newest first.
import { SqlClient, SqlSchema } from "@effect/sql"
import { canonicalEmail } from "@lectern/domain"
import { Context, Data, type DateTime, Effect, Layer, Schema } from "effect"
import { MailDeliveryFailed, Mailer, type MailerService, validateMail } from "./Mailer.ts"
import { loadMigrations, migrate } from "./Migrator.ts"

export interface OutboxMail {
  readonly id: string
  readonly to: string
  readonly subject: string
  readonly text: string
  readonly sentAt: DateTime.Utc
}

/** Mail goes over SMTP in this deployment, so there is no outbox to read. */
export class DevOutboxDisabled extends Data.TaggedError("DevOutboxDisabled") {}

export interface DevOutboxListOptions {
  /** Only mails to this address (compared in canonical form, as they are stored). */
  readonly to?: string
  /** At most this many, 50 by default, never more than 500. */
  readonly limit?: number
}

export interface DevOutboxService {
  /** The newest mails first. */
  readonly list: (options: DevOutboxListOptions) => Effect.Effect<ReadonlyArray<OutboxMail>, DevOutboxDisabled>
}

export class DevOutbox extends Context.Tag("@lectern/platform/DevOutbox")<DevOutbox, DevOutboxService>() {}

const DEFAULT_LIMIT = 50
const MAX_LIMIT = 500

const clampLimit = (limit: number | undefined) =>
  limit === undefined || !Number.isFinite(limit) ? DEFAULT_LIMIT : Math.min(MAX_LIMIT, Math.max(1, Math.trunc(limit)))

const OutboxRow = Schema.Struct({
  id: Schema.String,
  toAddress: Schema.String,
  subject: Schema.String,
  text: Schema.String,
  sentAt: Schema.DateTimeUtcFromDate
})

const toOutboxMail = (row: typeof OutboxRow.Type): OutboxMail => ({
  id: row.id,
  to: row.toAddress,
  subject: row.subject,
  text: row.text,
  sentAt: row.sentAt
})

/** Builds both services on the current SqlClient, after migrating the `mail` schema. */
export const makeDevOutbox = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const migrations = yield* Effect.sync(() => loadMigrations(new URL("../migrations/mail/", import.meta.url)))
  yield* migrate({ schema: "mail", migrations })

  const insert = SqlSchema.void({
    Request: Schema.Struct({
      toAddress: Schema.String,
      subject: Schema.String,
      text: Schema.String,
      html: Schema.NullOr(Schema.String)
    }),
    execute: (row) => sql`INSERT INTO mail.dev_outbox ${sql.insert(row)}`
  })

  const findAll = SqlSchema.findAll({
    Request: Schema.Struct({ to: Schema.NullOr(Schema.String), limit: Schema.Int }),
    Result: OutboxRow,
    execute: ({ limit, to }) =>
      sql`SELECT id, to_address, subject, text, sent_at FROM mail.dev_outbox
          ${to === null ? sql`` : sql`WHERE to_address = ${to}`}
          ORDER BY seq DESC LIMIT ${limit}`
  })

  const send: MailerService["send"] = (mail) =>
    validateMail(mail).pipe(
      Effect.flatMap((valid) =>
        insert({ toAddress: valid.to, subject: valid.subject, text: valid.text, html: valid.html ?? null }).pipe(
          Effect.mapError((cause) => new MailDeliveryFailed({ cause }))
        )
      ),
      Effect.withSpan("Mailer.send", { attributes: { "mail.transport": "dev-outbox" } })
    )

  const list: DevOutboxService["list"] = (options) =>
    findAll({
      to: options.to === undefined ? null : canonicalEmail(options.to),
      limit: clampLimit(options.limit)
    }).pipe(
      Effect.map((rows) => rows.map(toOutboxMail)),
      Effect.orDie,
      Effect.withSpan("DevOutbox.list")
    )

  return { mailer: Mailer.of({ send }), outbox: DevOutbox.of({ list }) }
})

/** The Mailer writing to the dev outbox, and the DevOutbox reading it back. */
export const layerDevOutbox: Layer.Layer<Mailer | DevOutbox, never, SqlClient.SqlClient> = Layer.effectContext(
  Effect.map(makeDevOutbox, ({ mailer, outbox }) => Context.make(Mailer, mailer).pipe(Context.add(DevOutbox, outbox)))
)

/** The DevOutbox of a deployment that sends over SMTP: every read fails with DevOutboxDisabled. */
export const layerDevOutboxDisabled: Layer.Layer<DevOutbox> = Layer.succeed(
  DevOutbox,
  DevOutbox.of({ list: () => Effect.fail(new DevOutboxDisabled()) })
)
