// The Mailer over SMTP (nodemailer): one pooled transport per process, opened with its scope and closed with it.
import { Duration, Effect, Layer, Redacted, type Scope } from "effect"
import nodemailer from "nodemailer"
import { MailDeliveryFailed, Mailer, type MailerService, validateMail } from "./Mailer.ts"

export interface SmtpOptions {
  /** `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465`; it holds credentials, so Redacted. */
  readonly url: Redacted.Redacted
  /** The From header, e.g. `Lectern <no-reply@example.com>`. */
  readonly from: string
  readonly maxConnections?: number
  readonly connectionTimeout?: Duration.DurationInput
  readonly greetingTimeout?: Duration.DurationInput
  readonly socketTimeout?: Duration.DurationInput
  /**
   * Bounds one whole delivery, queueing for a pooled connection included: a server that trickles its replies
   * keeps every socket timeout happy, and a caller waiting on a verification mail must not hang with it.
   */
  readonly sendTimeout?: Duration.DurationInput
}

const millis = (duration: Duration.DurationInput) => Duration.toMillis(Duration.decode(duration))

/** Builds the Mailer in the current scope; the pool's connections are closed when the scope closes. */
export const makeSmtp = (options: SmtpOptions): Effect.Effect<MailerService, never, Scope.Scope> =>
  Effect.gen(function* () {
    const transport = yield* Effect.acquireRelease(
      Effect.sync(() =>
        nodemailer.createTransport(
          {
            pool: true,
            url: Redacted.value(options.url),
            maxConnections: options.maxConnections ?? 5,
            connectionTimeout: millis(options.connectionTimeout ?? "10 seconds"),
            greetingTimeout: millis(options.greetingTimeout ?? "10 seconds"),
            socketTimeout: millis(options.socketTimeout ?? "30 seconds"),
            // nodemailer's logger and debug output include message data, and bodies carry verification codes.
            logger: false,
            debug: false
          },
          { from: options.from }
        )
      ),
      // By the time the scope closes every send has completed or been interrupted (which aborts it), so what is
      // left is idle or stalled mid-handshake: `force` closes those too instead of waiting for a socket timeout.
      (transport) => Effect.sync(() => transport.close({ force: true }))
    )
    const sendTimeout = options.sendTimeout ?? "60 seconds"

    const send: MailerService["send"] = (mail) =>
      validateMail(mail).pipe(
        Effect.flatMap((valid) =>
          Effect.tryPromise({
            try: (signal) =>
              transport.sendMail({
                to: valid.to,
                subject: valid.subject,
                text: valid.text,
                ...(valid.html === undefined ? {} : { html: valid.html }),
                signal
              }),
            catch: (cause) => new MailDeliveryFailed({ cause })
          })
        ),
        Effect.flatMap((info) =>
          info.rejected.length > 0
            ? Effect.fail(new MailDeliveryFailed({ cause: `the server rejected the recipient: ${info.response}` }))
            : Effect.void
        ),
        Effect.timeoutFail({
          duration: sendTimeout,
          onTimeout: () =>
            new MailDeliveryFailed({
              cause: `no answer from the SMTP server within ${Duration.format(Duration.decode(sendTimeout))}`
            })
        }),
        Effect.withSpan("Mailer.send", { attributes: { "mail.transport": "smtp" } })
      )

    return { send }
  })

/** The Mailer on an SMTP server. */
export const layerSmtp = (options: SmtpOptions): Layer.Layer<Mailer> => Layer.scoped(Mailer, makeSmtp(options))
