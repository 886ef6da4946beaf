// Helpers every contract suite shares: polling with a deadline, and one layer per describe block on the live clock.
import { afterAll, beforeAll, it } from "@effect/vitest"
import { Duration, Effect, Exit, Layer, Schedule, Scope } from "effect"

/** Re-runs `check` until it yields true, failing the test if that has not happened by `deadline`. */
export const eventually = <E, R>(
  description: string,
  check: Effect.Effect<boolean, E, R>,
  deadline: Duration.DurationInput = "15 seconds"
) =>
  check.pipe(
    Effect.repeat({ until: (done) => done, schedule: Schedule.spaced("10 millis") }),
    Effect.timeoutFail({
      duration: deadline,
      onTimeout: () => new Error(`not ${description} within ${Duration.format(deadline)}`)
    })
  )

/**
 * Builds `layer` once for the tests of the enclosing describe block, releases it after them, and runs those tests on
 * the live clock. (@effect/vitest's `layer` does the same but rebinds the global `it.effect` for the rest of the file,
 * which would take TestClock away from tests registered after a suite.)
 */
export const sharedLayer = <R, E>(layer: Layer.Layer<R, E>) => {
  const scope = Effect.runSync(Scope.make())
  const runtime = Layer.toRuntime(layer).pipe(Scope.extend(scope), Effect.orDie, Effect.cached, Effect.runSync)
  beforeAll(() => Effect.runPromise(Effect.asVoid(runtime)), 30_000)
  afterAll(() => Effect.runPromise(Scope.close(scope, Exit.void)), 30_000)
  return <A, E2>(name: string, test: () => Effect.Effect<A, E2, R>) =>
    it.live(name, () => Effect.flatMap(runtime, (runtime) => Effect.provide(test(), runtime)))
}
