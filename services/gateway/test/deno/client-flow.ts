// Drives the real gateway from Deno with the typed client: register, verify by the mailed code, log in, read `me`.
// From this folder (deno.json here makes Deno use the repo's node_modules, never download):
//   deno run --check --allow-net=127.0.0.1 --allow-env=MSGPACKR_NATIVE_ACCELERATION_DISABLED client-flow.ts <gatewayUrl>
import { makeLectern } from "@lectern/client"
import { Auth } from "@lectern/contracts"
import { Email } from "@lectern/domain"
import { Cause, Data, Effect, Exit, Schema } from "effect"
import { FLOW_PASSWORD, flowEmail } from "./account.ts"

// The part of Deno's global this script uses; declared here so the Node-side `tsc -b` of test/ also accepts the file.
declare const Deno: {
  readonly args: ReadonlyArray<string>
  exit(code: number): never
}

class FlowFailed extends Data.TaggedError("FlowFailed")<{ readonly message: string }> {}

/** The code in the first mail, as the contract's VerificationCode. */
const codeIn = (email: string, mails: ReadonlyArray<Auth.OutboxMail>) =>
  Schema.decodeUnknown(Auth.VerificationCode)(/\b(\d{6})\b/.exec(mails[0]?.text ?? "")?.[1]).pipe(
    Effect.mapError(() => new FlowFailed({ message: `no verification code was mailed to ${email}` }))
  )

const flow = (baseUrl: string) =>
  Effect.gen(function* () {
    let accessToken: string | undefined
    const lectern = yield* makeLectern({ baseUrl, accessToken: () => accessToken })
    const email = yield* Schema.decode(Email)(flowEmail())
    const { userId } = yield* lectern.auth.user.register({ email, password: FLOW_PASSWORD, name: "Deno" })
    const code = yield* codeIn(email, yield* lectern.auth.dev.outbox({ to: email }))
    yield* lectern.auth.user.verifyEmail({ email, code })
    const session = yield* lectern.auth.session.login({ email, password: FLOW_PASSWORD })
    accessToken = session.accessToken
    const me = yield* lectern.auth.user.me()
    if (me.id !== userId || me.email !== email) {
      return yield* new FlowFailed({ message: `user.me answered ${me.id} <${me.email}>, not ${userId} <${email}>` })
    }
    return { ok: true, email: me.email, userId: me.id }
  }).pipe(Effect.scoped)

const baseUrl = Deno.args[0]
const exit = await Effect.runPromiseExit(
  baseUrl === undefined ? new FlowFailed({ message: "usage: client-flow.ts <gatewayUrl>" }) : flow(baseUrl)
)
if (Exit.isSuccess(exit)) {
  console.log(JSON.stringify(exit.value))
} else {
  console.error(Cause.pretty(exit.cause))
  Deno.exit(1)
}
