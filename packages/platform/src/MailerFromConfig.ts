// The configured Mailer: SMTP when SMTP_URL is set, otherwise the dev outbox in the database (the embedded default).
import type { SqlClient } from "@effect/sql"
import { Config, type ConfigError, Effect, Layer, Option, Redacted } from "effect"
import type { Mailer } from "./Mailer.ts"
import { type DevOutbox, layerDevOutbox, layerDevOutboxDisabled } from "./MailerDevOutbox.ts"
import { layerSmtp } from "./MailerSmtp.ts"

export const DEFAULT_MAIL_FROM = "Lectern <no-reply@lectern.local>"

/**
 * `SMTP_URL` (optional; an empty value counts as unset) and `MAIL_FROM`. With SMTP the DevOutbox is still
 * provided, and fails with DevOutboxDisabled, so callers such as the dev.outbox RPC can say so.
 */
export const layerFromConfig: Layer.Layer<Mailer | DevOutbox, ConfigError.ConfigError, SqlClient.SqlClient> =
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const url = yield* Config.option(Config.redacted("SMTP_URL")).pipe(
        Config.map(Option.filter((url) => Redacted.value(url).trim() !== ""))
      )
      const from = yield* Config.string("MAIL_FROM").pipe(Config.withDefault(DEFAULT_MAIL_FROM))
      return Option.match(url, {
        onSome: (url) =>
          Layer.mergeAll(
            layerSmtp({ url, from }),
            layerDevOutboxDisabled,
            Layer.effectDiscard(Effect.logInfo("mail is sent over SMTP (SMTP_URL)"))
          ),
        onNone: () =>
          Layer.merge(
            layerDevOutbox,
            Layer.effectDiscard(
              Effect.logInfo("SMTP_URL is not set: mail goes to the dev outbox (mail.dev_outbox), nothing is delivered")
            )
          )
      })
    })
  )
