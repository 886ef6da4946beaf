// The typed client, for what the bench needs from it: a signed-up user, and the exact bytes it sends for a call.
import { createServer, type IncomingMessage } from "node:http"
import { type LecternClient, makeLectern } from "@lectern/client"
import { Email } from "@lectern/domain"
import { Effect, Schema } from "effect"

/** What the stock RpcClient put on the wire for one call. */
export interface CapturedRequest {
  readonly contentType: string
  readonly body: string
}

export class CaptureFailed extends Error {
  override readonly name = "CaptureFailed"
}

/**
 * Points the typed client at a throwaway local server that records the first POST and answers it with a Die, then
 * returns what was recorded. `call` is the one client call to capture (any domain's client).
 */
export const captureRequest = async (
  accessToken: string | undefined,
  call: (client: LecternClient) => Effect.Effect<unknown, unknown>
): Promise<CapturedRequest> => {
  let captured: CapturedRequest | undefined
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Array<Buffer> = []
    req.on("data", (chunk: Buffer) => chunks.push(chunk))
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8")
      captured ??= { contentType: req.headers["content-type"] ?? "", body }
      const id = /"id":"([^"]*)"/.exec(body)?.[1] ?? "0"
      res.writeHead(200, { "content-type": "application/ndjson" })
      res.end(
        `${JSON.stringify({ _tag: "Exit", requestId: id, exit: { _tag: "Failure", cause: { _tag: "Die", defect: "captured" } } })}\n`
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  try {
    const address = server.address()
    if (typeof address !== "object" || address === null) throw new CaptureFailed("the capture server has no address")
    await Effect.runPromise(
      Effect.gen(function* () {
        const lectern = yield* makeLectern({ baseUrl: `http://127.0.0.1:${address.port}`, accessToken })
        // The Die answer is expected: only the request matters.
        yield* Effect.exit(call(lectern))
      }).pipe(Effect.scoped)
    )
  } finally {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  if (captured === undefined) throw new CaptureFailed("the typed client sent nothing")
  return captured
}

export interface SignedUp {
  readonly email: Email
  readonly password: string
  readonly userId: string
  readonly accessToken: string
}

/** register → the code from dev.outbox → verifyEmail, as a user would, through the gateway at `baseUrl`. */
export const signUp = (baseUrl: string, address: string, password: string): Promise<SignedUp> =>
  Effect.runPromise(
    Effect.gen(function* () {
      const email = yield* Schema.decode(Email)(address)
      const lectern = yield* makeLectern({ baseUrl })
      const { userId } = yield* lectern.auth.user.register({ email, password, name: "Bench User" })
      const mails = yield* lectern.auth.dev.outbox({ to: email })
      const code = /\b(\d{6})\b/.exec(mails[0]?.text ?? "")?.[1]
      if (code === undefined) return yield* Effect.dieMessage(`no verification code in the outbox for ${email}`)
      const session = yield* lectern.auth.user.verifyEmail({ email, code })
      return { email, password, userId, accessToken: session.accessToken }
    }).pipe(Effect.scoped)
  )
