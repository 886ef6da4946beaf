// The Mailer port: send one message; SMTP in production, a dev outbox in the database for the embedded default.
import { Email } from "@lectern/domain"
import { Context, Data, Effect, Either, Schema } from "effect"

export interface Mail {
  readonly to: string
  readonly subject: string
  readonly text: string
  readonly html?: string
}

export class MailDeliveryFailed extends Data.TaggedError("MailDeliveryFailed")<{ readonly cause: unknown }> {}

/** Why a mail was refused before any transport saw it (the `cause` of the MailDeliveryFailed). */
export class InvalidMail extends Data.TaggedError("InvalidMail")<{ readonly reason: string }> {}

export interface MailerService {
  readonly send: (mail: Mail) => Effect.Effect<void, MailDeliveryFailed>
}

export class Mailer extends Context.Tag("@lectern/platform/Mailer")<Mailer, MailerService>() {}

// Control characters in a subject would be folded or stripped on the wire, so the SMTP and the outbox
// copies would differ; NUL is also something Postgres text cannot hold.
const isControl = (character: string) => {
  const code = character.charCodeAt(0)
  return code < 0x20 || code === 0x7f
}
const NUL = "\u0000"

const decodeEmail = Schema.decodeUnknownEither(Email)

const contentProblem = (mail: Mail): string | undefined => {
  if (Array.from(mail.subject).some(isControl)) return "the subject contains a control character"
  if (mail.text.includes(NUL) || mail.html?.includes(NUL)) return "the body contains a NUL character"
  return undefined
}

const refuse = (reason: string) => Effect.fail(new MailDeliveryFailed({ cause: new InvalidMail({ reason }) }))

/**
 * SMTP carries lines: a recipient reads every line break as "\n" and a text-only mail always ends with one
 * (RFC 5321 ends the data with CRLF.CRLF), so the text is put in that shape before any Mailer sees it.
 */
const asLines = (text: string) => {
  const lines = text.replace(/\r\n?/gu, "\n")
  return lines.endsWith("\n") ? lines : `${lines}\n`
}

/**
 * The rule every Mailer applies before delivering, so the dev outbox holds exactly what an SMTP recipient
 * would read and refuses what SMTP would: one recipient that is an Email (sent in its canonical form),
 * a one-line subject, no NUL in the bodies; the text comes back in lines, ending with a line break.
 */
export const validateMail = (mail: Mail): Effect.Effect<Mail, MailDeliveryFailed> =>
  Either.match(decodeEmail(mail.to), {
    onLeft: () => refuse("the recipient is not an email address"),
    onRight: (to) => {
      const problem = contentProblem(mail)
      return problem === undefined ? Effect.succeed({ ...mail, to, text: asLines(mail.text) }) : refuse(problem)
    }
  })
