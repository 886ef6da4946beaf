// Contract suite for the Mailer port: the SMTP layer and the dev outbox must deliver and refuse the same mails.
import { describe, expect, layer as layerSuite } from "@effect/vitest"
import { InvalidMail, type Mail, Mailer } from "@lectern/platform/Mailer"
import { DevOutbox } from "@lectern/platform/MailerDevOutbox"
import { Effect, type Layer } from "effect"
import { SmtpReceiver } from "./SmtpReceiver.ts"

export interface ReadBackMail {
  readonly to: string
  readonly subject: string
  readonly text: string
}

/** The mails to `to` that reached the implementation, oldest first, once there are at least `count` of them. */
export type ReadBack<R> = (query: {
  readonly to: string
  readonly count: number
}) => Effect.Effect<ReadonlyArray<ReadBackMail>, unknown, R>

/** Reads back what the SMTP layer delivered to the SmtpReceiver. */
export const readBackFromReceiver: ReadBack<SmtpReceiver> = ({ count, to }) =>
  Effect.flatMap(SmtpReceiver, (receiver) => receiver.awaitMails({ count, to })).pipe(
    Effect.map((mails) => mails.map(({ subject, text, to }) => ({ to, subject, text })))
  )

/** Reads back what the dev outbox stored; its writes are synchronous, so there is nothing to wait for. */
export const readBackFromDevOutbox: ReadBack<DevOutbox> = ({ count, to }) =>
  Effect.flatMap(DevOutbox, (outbox) => outbox.list({ to, limit: 500 })).pipe(
    Effect.map((mails) => mails.map(({ subject, text, to }) => ({ to, subject, text })).reverse()),
    Effect.filterOrFail(
      (mails) => mails.length >= count,
      (mails) => `expected ${count} mails to ${to} in the dev outbox, found ${mails.length}`
    )
  )

let recipients = 0
/** A recipient no other test of the file uses, so tests sharing one layer do not see each other's mail. */
const freshRecipient = (label: string) => `${label}-${++recipients}-${crypto.randomUUID().slice(0, 8)}@example.com`

const sendExpectingRefusal = (mail: Mail) =>
  Effect.flatMap(Mailer, (mailer) => mailer.send(mail)).pipe(
    Effect.flip,
    Effect.map((error) => ({ tag: error._tag, cause: error.cause }))
  )

export const mailerSuite = <R, E>(name: string, layer: Layer.Layer<Mailer | R, E>, readBack: ReadBack<R>) =>
  describe(`Mailer port: ${name}`, () => {
    // The exported `layer`, not `it.layer`: after one it.layer, `it.layer` nests into that block's memo map, and a
    // Layer value reused by two suites (layerDevOutbox on Postgres, then on PGlite) would be built only once.
    layerSuite(layer, { timeout: 60_000 })((it) => {
      const lines = [
        "Größe – ünïcödé ✓ 你好 🎓",
        "Your code is 042917.",
        // SMTP escapes a leading dot, and QP encoding must keep trailing spaces and split long lines
        ".well-known",
        "trailing spaces   ",
        `a long line: ${"ü".repeat(120)}${"x".repeat(1200)}`,
        "",
        "— Lectern"
      ]

      for (const variant of ["text only", "text and html"] as const) {
        it.effect(`delivers a mail (${variant}) whose recipient, subject and text read back intact`, () =>
          Effect.gen(function* () {
            const mailer = yield* Mailer
            const to = freshRecipient("unicode")
            const subject = "Größe – ünïcödé ✓ 你好 🎓"
            yield* mailer.send({
              to,
              subject,
              text: lines.join("\n"),
              ...(variant === "text only" ? {} : { html: "<p>Größe – ünïcödé ✓</p>" })
            })
            expect(yield* readBack({ to, count: 1 })).toEqual([{ to, subject, text: `${lines.join("\n")}\n` }])
          })
        )
      }

      it.effect("reads every line break back as \\n, the last line ending with one", () =>
        Effect.gen(function* () {
          const mailer = yield* Mailer
          const to = freshRecipient("lines")
          yield* mailer.send({ to, subject: "crlf", text: "one\r\ntwo\rthree" })
          yield* mailer.send({ to, subject: "ends with a line break", text: "one\n" })
          yield* mailer.send({ to, subject: "empty", text: "" })
          const mails = yield* readBack({ to, count: 3 })
          expect(mails.map((mail) => mail.text)).toEqual(["one\ntwo\nthree\n", "one\n", "\n"])
        })
      )

      it.effect("keeps the order of mails sent one after another", () =>
        Effect.gen(function* () {
          const mailer = yield* Mailer
          const to = freshRecipient("order")
          const subjects = ["first", "second", "third", "fourth", "fifth"]
          yield* Effect.forEach(subjects, (subject) => mailer.send({ to, subject, text: `the ${subject} mail` }), {
            discard: true
          })
          const mails = yield* readBack({ to, count: subjects.length })
          expect(mails.map((mail) => mail.subject)).toEqual(subjects)
          expect(mails.map((mail) => mail.text)).toEqual(subjects.map((subject) => `the ${subject} mail\n`))
        })
      )

      it.effect("delivers every one of many mails sent at once", () =>
        Effect.gen(function* () {
          const mailer = yield* Mailer
          const to = freshRecipient("burst")
          const subjects = Array.from({ length: 12 }, (_, index) => `burst ${index}`)
          yield* Effect.forEach(subjects, (subject) => mailer.send({ to, subject, text: subject }), {
            concurrency: "unbounded",
            discard: true
          })
          const mails = yield* readBack({ to, count: subjects.length })
          expect(mails.map((mail) => mail.subject).sort()).toEqual([...subjects].sort())
        })
      )

      it.effect("sends to the canonical form of the recipient", () =>
        Effect.gen(function* () {
          const mailer = yield* Mailer
          const to = freshRecipient("canonical")
          yield* mailer.send({ to: `  ${to.toUpperCase()} `, subject: "case", text: "case" })
          const mails = yield* readBack({ to, count: 1 })
          expect(mails.map((mail) => mail.to)).toEqual([to])
        })
      )

      it.effect("refuses a recipient that is not one email address, with MailDeliveryFailed", () =>
        Effect.gen(function* () {
          const badRecipients = [
            "not an address",
            "",
            "ada@localhost",
            "ada@example.com, eve@example.com",
            "Ada <ada@example.com>",
            "ada@example.com\r\nBcc: eve@example.com"
          ]
          for (const to of badRecipients) {
            const refusal = yield* sendExpectingRefusal({ to, subject: "hello", text: "hello" })
            expect(refusal.tag).toBe("MailDeliveryFailed")
            expect(refusal.cause).toEqual(new InvalidMail({ reason: "the recipient is not an email address" }))
          }
        })
      )

      it.effect("refuses a subject that would not survive the wire, and a NUL in a body", () =>
        Effect.gen(function* () {
          const to = freshRecipient("refused")
          const subject = yield* sendExpectingRefusal({ to, subject: "hello\r\nBcc: eve@example.com", text: "x" })
          expect(subject.cause).toEqual(new InvalidMail({ reason: "the subject contains a control character" }))
          const body = yield* sendExpectingRefusal({ to, subject: "hello", text: "a\u0000b" })
          expect(body.cause).toEqual(new InvalidMail({ reason: "the body contains a NUL character" }))
          const sentinel = { to, subject: "after the refusals", text: "only this one" }
          yield* Effect.flatMap(Mailer, (mailer) => mailer.send(sentinel))
          expect(yield* readBack({ to, count: 1 })).toEqual([{ ...sentinel, text: "only this one\n" }])
        })
      )
    })
  })
