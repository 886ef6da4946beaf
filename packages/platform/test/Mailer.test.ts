// The Mailer port's contract suite on SMTP (against a real SMTP receiver) and on the dev outbox (Postgres and PGlite).

import { createServer, type Server } from "node:net"
import { describe, expect, it, layer } from "@effect/vitest"
import { Mailer } from "@lectern/platform/Mailer"
import { DevOutbox, layerDevOutbox } from "@lectern/platform/MailerDevOutbox"
import { layerFromConfig } from "@lectern/platform/MailerFromConfig"
import { layerSmtp, type SmtpOptions } from "@lectern/platform/MailerSmtp"
import { mailerSuite, readBackFromDevOutbox, readBackFromReceiver } from "@lectern/testkit/MailerSuite"
import * as SmtpReceiver from "@lectern/testkit/SmtpReceiver"
import { layerFreshPostgres, layerMemoryDatabase } from "@lectern/testkit/TestDatabase"
import { ConfigProvider, DateTime, Effect, Layer, Redacted } from "effect"

const smtpToReceiver = Layer.unwrapEffect(
  Effect.map(SmtpReceiver.SmtpReceiver, (receiver) =>
    layerSmtp({ url: Redacted.make(receiver.url), from: "Lectern <no-reply@lectern.test>" })
  )
).pipe(Layer.provideMerge(SmtpReceiver.layer))

mailerSuite("SMTP", smtpToReceiver, readBackFromReceiver)
mailerSuite("dev outbox on Postgres", layerDevOutbox.pipe(Layer.provide(layerFreshPostgres)), readBackFromDevOutbox)
mailerSuite("dev outbox on PGlite", layerDevOutbox.pipe(Layer.provide(layerMemoryDatabase)), readBackFromDevOutbox)

/**
 * A loopback TCP server for the duration of the scope that reads and ignores everything; `greeting`, when given,
 * is all a client ever hears. Reading matters: a paused socket never sees the client's FIN, so it would never
 * close and the server would never stop.
 */
const tcpServer = (greeting?: string) =>
  Effect.acquireRelease(
    Effect.async<Server>((resume) => {
      const server = createServer((socket) => {
        socket.on("error", () => {})
        socket.resume()
        if (greeting !== undefined) socket.write(greeting)
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
      })
  )

const portOf = (server: Server) => {
  const address = server.address()
  return typeof address === "object" && address !== null ? address.port : -1
}

/** A port nothing listens on: taken from the OS, then released. */
const closedPort = Effect.scoped(Effect.map(tcpServer(), portOf))

// The bound only keeps a hanging send from hanging the run; the assertion is the typed failure.
const sendWithin = (url: string, timeouts: Partial<Pick<SmtpOptions, "socketTimeout" | "sendTimeout">> = {}) =>
  Effect.gen(function* () {
    const mailer = yield* Mailer
    return yield* mailer.send({ to: "ada@example.com", subject: "hello", text: "hello" }).pipe(Effect.flip)
  }).pipe(
    Effect.provide(
      layerSmtp({
        url: Redacted.make(url),
        from: "Lectern <no-reply@lectern.test>",
        connectionTimeout: "1 second",
        greetingTimeout: "1 second",
        socketTimeout: "2 seconds",
        ...timeouts
      })
    ),
    Effect.timeout("15 seconds")
  )

describe("Mailer over SMTP when the server is not there", () => {
  it.scopedLive("fails with MailDeliveryFailed when nothing listens on the port", () =>
    Effect.gen(function* () {
      const port = yield* closedPort
      const error = yield* sendWithin(`smtp://127.0.0.1:${port}`)
      expect(error._tag).toBe("MailDeliveryFailed")
      expect(String(error.cause)).toMatch(/ECONNREFUSED/)
    })
  )

  it.scopedLive("fails with MailDeliveryFailed when the server accepts the connection but never greets", () =>
    Effect.gen(function* () {
      const silent = yield* tcpServer()
      const error = yield* sendWithin(`smtp://127.0.0.1:${portOf(silent)}`)
      expect(error._tag).toBe("MailDeliveryFailed")
      expect(String(error.cause)).toMatch(/greeting/i)
    })
  )

  it.scopedLive("gives up after sendTimeout on a server that greets and then stalls", () =>
    Effect.gen(function* () {
      const stalling = yield* tcpServer("220 stalling.test ESMTP\r\n")
      const error = yield* sendWithin(`smtp://127.0.0.1:${portOf(stalling)}`, {
        socketTimeout: "1 minute",
        sendTimeout: "1 second"
      })
      expect(error._tag).toBe("MailDeliveryFailed")
      expect(String(error.cause)).toMatch(/no answer from the SMTP server within/)
    })
  )
})

const withConfig = (entries: ReadonlyArray<readonly [string, string]>) =>
  Layer.setConfigProvider(ConfigProvider.fromMap(new Map(entries)))

describe("Mailer from configuration", () => {
  // The exported `layer`, not `it.layer`, which after one it.layer nests into its memo map and so would reuse
  // the layerFromConfig already built with the other configuration.
  layer(layerFromConfig.pipe(Layer.provide(layerMemoryDatabase), Layer.provide(withConfig([]))))(
    "no SMTP_URL",
    (it) => {
      it.effect("without SMTP_URL, mail goes to the dev outbox, newest first", () =>
        Effect.gen(function* () {
          const mailer = yield* Mailer
          const outbox = yield* DevOutbox
          yield* mailer.send({ to: "ada@example.com", subject: "one", text: "code 111111" })
          yield* mailer.send({ to: "bob@example.com", subject: "two", text: "code 222222" })
          yield* mailer.send({ to: "ada@example.com", subject: "three", text: "code 333333" })
          const all = yield* outbox.list({})
          expect(all.map((mail) => mail.subject)).toEqual(["three", "two", "one"])
          const ada = yield* outbox.list({ to: "Ada@Example.com" })
          expect(ada.map((mail) => [mail.to, mail.text])).toEqual([
            ["ada@example.com", "code 333333\n"],
            ["ada@example.com", "code 111111\n"]
          ])
          expect(yield* outbox.list({ limit: 1 })).toHaveLength(1)
          const sentAt = all[0]?.sentAt
          expect(sentAt !== undefined && DateTime.isDateTime(sentAt) && DateTime.isUtc(sentAt)).toBe(true)
        })
      )
    }
  )

  layer(
    Layer.unwrapEffect(
      Effect.map(SmtpReceiver.SmtpReceiver, (receiver) =>
        layerFromConfig.pipe(
          Layer.provide(layerMemoryDatabase),
          Layer.provide(
            withConfig([
              ["SMTP_URL", receiver.url],
              ["MAIL_FROM", "Lectern Test <test@lectern.test>"]
            ])
          )
        )
      )
    ).pipe(Layer.provideMerge(SmtpReceiver.layer))
  )("SMTP_URL set", (it) => {
    it.effect("with SMTP_URL, mail goes over SMTP from MAIL_FROM and the dev outbox says it is disabled", () =>
      Effect.gen(function* () {
        const mailer = yield* Mailer
        const receiver = yield* SmtpReceiver.SmtpReceiver
        yield* mailer.send({ to: "ada@example.com", subject: "over smtp", text: "code 444444" })
        const [mail] = yield* receiver.awaitMails({ count: 1 })
        expect(mail?.from).toBe("test@lectern.test")
        expect(mail?.envelope).toEqual({ from: "test@lectern.test", to: ["ada@example.com"] })
        const disabled = yield* Effect.flip(Effect.flatMap(DevOutbox, (outbox) => outbox.list({})))
        expect(disabled._tag).toBe("DevOutboxDisabled")
      })
    )
  })
})

describe("SmtpReceiver", () => {
  layer(SmtpReceiver.layer)("waiting for mail", (it) => {
    it.effect("gives up at its deadline with ReceiveTimeout, saying how many mails came", () =>
      Effect.gen(function* () {
        const receiver = yield* SmtpReceiver.SmtpReceiver
        const timeout = yield* Effect.flip(receiver.awaitMails({ count: 1, timeout: "200 millis" }))
        expect(timeout).toEqual(new SmtpReceiver.ReceiveTimeout({ expected: 1, received: 0 }))
      })
    )
  })
})
