// A real SMTP server on loopback for tests: it accepts what a Mailer sends and hands back the parsed mails.
import { Clock, Context, Data, Duration, Effect, Layer, Option, Runtime, Stream, SubscriptionRef } from "effect"
import { type AddressObject, simpleParser } from "mailparser"
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from "smtp-server"

export interface ReceivedMail {
  /** MAIL FROM and RCPT TO, as the client gave them. */
  readonly envelope: { readonly from: string; readonly to: ReadonlyArray<string> }
  /** The From and To header addresses. */
  readonly from: string
  readonly to: string
  readonly subject: string
  readonly text: string
  readonly html: string | undefined
}

export class ReceiveTimeout extends Data.TaggedError("ReceiveTimeout")<{
  readonly expected: number
  readonly received: number
}> {}

export interface AwaitMailsOptions {
  readonly count: number
  /** Only mails whose To header is this address. */
  readonly to?: string
  /** 10 seconds by default. */
  readonly timeout?: Duration.DurationInput
}

export interface SmtpReceiverService {
  /** `smtp://127.0.0.1:<port>`, no TLS, no authentication. */
  readonly url: string
  /** Every mail received so far, in the order they were recorded (each one before the server acknowledged it). */
  readonly received: Effect.Effect<ReadonlyArray<ReceivedMail>>
  /** Waits until at least `count` (matching) mails have arrived, and returns them all in arrival order. */
  readonly awaitMails: (options: AwaitMailsOptions) => Effect.Effect<ReadonlyArray<ReceivedMail>, ReceiveTimeout>
}

export class SmtpReceiver extends Context.Tag("@lectern/testkit/SmtpReceiver")<SmtpReceiver, SmtpReceiverService>() {}

class ReceiverFailed extends Data.TaggedError("ReceiverFailed")<{ readonly cause: unknown }> {}

const addresses = (header: AddressObject | ReadonlyArray<AddressObject> | undefined): string =>
  (header === undefined ? [] : Array.isArray(header) ? header : [header])
    .flatMap((object: AddressObject) =>
      object.value.flatMap((entry) => (entry.address === undefined ? [] : [entry.address]))
    )
    .join(", ")

const envelopeOf = (session: SMTPServerSession) => ({
  from: session.envelope.mailFrom === false ? "" : session.envelope.mailFrom.address,
  to: session.envelope.rcptTo.map((recipient) => recipient.address)
})

const isLoopback = (address: string) =>
  address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127.")

/** Starts the receiver in the current scope; it stops (dropping lingering clients after a second) with the scope. */
export const make = Effect.gen(function* () {
  const mails = yield* SubscriptionRef.make<ReadonlyArray<ReceivedMail>>([])
  const runPromise = Runtime.runPromise(yield* Effect.runtime<never>())

  const receive = (stream: SMTPServerDataStream, session: SMTPServerSession) =>
    Effect.tryPromise({ try: () => simpleParser(stream), catch: (cause) => new ReceiverFailed({ cause }) }).pipe(
      Effect.flatMap((parsed) =>
        SubscriptionRef.update(mails, (received) => [
          ...received,
          {
            envelope: envelopeOf(session),
            from: addresses(parsed.from),
            to: addresses(parsed.to),
            subject: parsed.subject ?? "",
            text: parsed.text ?? "",
            html: parsed.html === false ? undefined : parsed.html
          }
        ])
      )
    )

  const server = new SMTPServer({
    secure: false,
    // Plain text and no authentication are acceptable only because this listens on loopback and refuses others.
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 1_000,
    onConnect: (session, callback) =>
      callback(isLoopback(session.remoteAddress) ? null : new Error("loopback clients only")),
    // The client's send completes only after the mail is recorded, so `received` is never behind a delivery.
    onData: (stream, session, callback) => {
      runPromise(receive(stream, session)).then(
        () => callback(),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)))
      )
    }
  })

  const port = yield* Effect.acquireRelease(
    Effect.async<number, ReceiverFailed>((resume) => {
      const onError = (cause: Error) => resume(Effect.fail(new ReceiverFailed({ cause })))
      server.once("error", onError)
      server.listen(0, "127.0.0.1", () => {
        server.off("error", onError)
        const address = server.server.address()
        resume(
          typeof address === "object" && address !== null
            ? Effect.succeed(address.port)
            : Effect.fail(new ReceiverFailed({ cause: `not listening on a TCP port: ${address}` }))
        )
      })
    }),
    () => Effect.async<void>((resume) => server.close(() => resume(Effect.void)))
  )

  const matching = (received: ReadonlyArray<ReceivedMail>, to: string | undefined) =>
    to === undefined ? received : received.filter((mail) => mail.to === to)

  const awaitMails = ({ count, timeout, to }: AwaitMailsOptions) =>
    mails.changes.pipe(
      Stream.map((received) => matching(received, to)),
      Stream.filter((received) => received.length >= count),
      Stream.runHead,
      Effect.flatMap(Option.match({ onNone: () => Effect.dieMessage("receiver stopped"), onSome: Effect.succeed })),
      Effect.timeout(timeout ?? Duration.seconds(10)),
      // The deadline is for real network I/O, so it runs on the wall clock even under a TestClock.
      Effect.withClock(Clock.make()),
      Effect.catchTag("TimeoutException", () =>
        SubscriptionRef.get(mails).pipe(
          Effect.flatMap((received) =>
            Effect.fail(new ReceiveTimeout({ expected: count, received: matching(received, to).length }))
          )
        )
      )
    )

  return SmtpReceiver.of({ url: `smtp://127.0.0.1:${port}`, received: SubscriptionRef.get(mails), awaitMails })
}).pipe(Effect.orDie)

export const layer: Layer.Layer<SmtpReceiver> = Layer.scoped(SmtpReceiver, make)
