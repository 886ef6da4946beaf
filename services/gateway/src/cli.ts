// `npm run lectern -- …`: operator commands against the configured database (first admin, key rotation).
import { Command, Options } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Auth, AuthServiceLive } from "@lectern/auth"
import { Email } from "@lectern/domain"
import { layerFromConfig as platformFromConfig } from "@lectern/platform/Platform"
import { SigningKeys } from "@lectern/platform/SigningKeys"
import { layerLogging } from "@lectern/platform/Telemetry"
import { Config, Console, Effect, Layer, Option, Redacted, Schema } from "effect"

const email = Options.text("email").pipe(Options.withDescription("the admin's email address"))
const password = Options.redacted("password").pipe(
  Options.withDescription("the admin's password (default: LECTERN_ADMIN_PASSWORD)"),
  Options.optional
)
const name = Options.text("name").pipe(Options.withDefault("Administrator"))

const adminCreate = Command.make("create", { email, password, name }, (options) =>
  Effect.gen(function* () {
    const auth = yield* Auth
    const address = yield* Schema.decodeUnknown(Email)(options.email).pipe(
      Effect.mapError(() => new Error(`not an email address: ${options.email}`))
    )
    const secret = Option.isSome(options.password)
      ? options.password.value
      : yield* Config.redacted("LECTERN_ADMIN_PASSWORD").pipe(
          Effect.mapError(() => new Error("give --password or set LECTERN_ADMIN_PASSWORD"))
        )
    const admin = yield* auth
      .ensureAdmin({ email: address, password: Redacted.value(secret), name: options.name })
      .pipe(Effect.mapError((error) => new Error(`the password is too weak (${error.reason})`)))
    yield* Console.log(`admin ${admin.email} is ready (id ${admin.id})`)
  })
).pipe(Command.withDescription("create the first admin, or make an existing user an admin"))

const keysRotate = Command.make("rotate", {}, () =>
  Effect.gen(function* () {
    const keys = yield* SigningKeys
    const kid = yield* keys.rotate
    yield* Console.log(`new signing key ${kid}; older keys keep verifying for an hour`)
  })
).pipe(Command.withDescription("make a fresh access-token signing key current"))

const lectern = Command.make("lectern").pipe(
  Command.withSubcommands([
    Command.make("admin").pipe(Command.withSubcommands([adminCreate])),
    Command.make("keys").pipe(Command.withSubcommands([keysRotate]))
  ])
)

const run = Command.run(lectern, { name: "Lectern", version: "0.1.0" })

run(process.argv).pipe(
  Effect.provide(Layer.mergeAll(AuthServiceLive.pipe(Layer.provideMerge(platformFromConfig)), NodeContext.layer)),
  Effect.provide(layerLogging),
  NodeRuntime.runMain({ disablePrettyLogger: true })
)
