// The Mailer port: send one message; SMTP in production, a dev outbox in the database for the embedded default.
import { Context, Data, type Effect } from "effect"

export interface Mail {
  readonly to: string
  readonly subject: string
  readonly text: string
  readonly html?: string
}

export class MailDeliveryFailed extends Data.TaggedError("MailDeliveryFailed")<{ readonly cause: unknown }> {}

export interface MailerService {
  readonly send: (mail: Mail) => Effect.Effect<void, MailDeliveryFailed>
}

export class Mailer extends Context.Tag("@lectern/platform/Mailer")<Mailer, MailerService>() {}
