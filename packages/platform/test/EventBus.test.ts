// The EventBus contract on process memory and on the machine's Redis, plus Redis takeovers of entries a consumer left pending.
import { describe, expect, layer } from "@effect/vitest"
import { EventBus } from "@lectern/platform/EventBus"
import { layerFromConfig } from "@lectern/platform/EventBusFromConfig"
import * as EventBusMemory from "@lectern/platform/EventBusMemory"
import * as EventBusRedis from "@lectern/platform/EventBusRedis"
import * as Redis from "@lectern/platform/Redis"
import {
  eventBusSuite,
  eventually,
  freshGroup,
  makeRecorder,
  subscribeUntilClosed,
  testEvents
} from "@lectern/testkit/EventBusSuite"
import { Config, ConfigProvider, Deferred, Effect, Layer } from "effect"

const redisUrl = Config.string("REDIS_URL").pipe(Config.withDefault("redis://127.0.0.1:6379"))
const keyPrefix = `test-events-${crypto.randomUUID()}:`
const stream = `${keyPrefix}events`
const claimIdle = "600 millis"

const fastRetries = { retryBaseDelay: "10 millis", retryMaxDelay: "100 millis" } as const

/** Redis, the bus on it, and the run's keys deleted once the tests are done. */
const redisBus = Layer.unwrapEffect(
  Effect.map(redisUrl, (url) => {
    const cleanUp = Layer.scopedDiscard(
      Effect.flatMap(Redis.RedisConnection, (redis) =>
        Effect.addFinalizer(() => redis.use((client) => client.unlink([stream, `${stream}:dead`])).pipe(Effect.ignore))
      )
    )
    return Layer.mergeAll(
      EventBusRedis.layer({ keyPrefix, ...fastRetries, claimIdle, blockTimeout: "200 millis" }),
      cleanUp
    ).pipe(Layer.provideMerge(Redis.layer({ url })))
  })
)

eventBusSuite("memory", EventBusMemory.layer(fastRetries))
eventBusSuite("redis", redisBus)

describe("EventBus on Redis", () => {
  layer(redisBus, { timeout: "60 seconds", excludeTestServices: true })((it) => {
    it.scoped(
      "takes over an entry whose consumer died holding it (XAUTOCLAIM), counting the delivery",
      () =>
        Effect.gen(function* () {
          const bus = yield* EventBus
          const redis = yield* Redis.RedisConnection
          const { event, only } = testEvents()
          const group = freshGroup("takeover")
          yield* redis.use((client) => client.xGroupCreate(stream, group, "$", { MKSTREAM: true }))
          const orphan = event()
          yield* bus.publish(orphan)
          // A consumer reads the entry and dies before acknowledging it.
          const read = yield* redis.use((client) =>
            client.xReadGroup(group, "ghost", { key: stream, id: ">" }, { COUNT: 10 })
          )
          const ghostHeld = (Array.isArray(read) ? read : []).flatMap((reply) =>
            reply.messages.map((message: { readonly id: string }) => message.id)
          )
          expect(ghostHeld).toHaveLength(1)

          const survivor = makeRecorder()
          const deliveryCounts: Array<number> = []
          yield* bus.subscribe(
            { group },
            only((e) =>
              redis
                .use((client) => client.xPendingRange(stream, group, "-", "+", 10))
                .pipe(
                  Effect.tap((pending) => {
                    deliveryCounts.push(...pending.map((entry) => Number(entry.deliveriesCounter)))
                  }),
                  Effect.zipRight(survivor.record(e))
                )
            )
          )
          yield* eventually(
            "taken over and handled",
            Effect.sync(() => survivor.count(orphan.id) === 1)
          )
          expect(deliveryCounts).toEqual([2])
          yield* eventually(
            "acknowledged",
            redis
              .use((client) => client.xPending(stream, group))
              .pipe(Effect.map((summary) => Number(summary.pending) === 0))
          )
          expect(survivor.count(orphan.id)).toBe(1)
        }),
      30_000
    )

    it.scoped(
      "removes a consumer that leaves holding nothing from its group, and keeps one that holds an entry",
      () =>
        Effect.gen(function* () {
          const bus = yield* EventBus
          const redis = yield* Redis.RedisConnection
          const { event, only } = testEvents()
          const group = freshGroup("leaving")
          const consumers = redis
            .use((client) => client.xInfoConsumers(stream, group))
            .pipe(Effect.map((list) => list.map((consumer) => Number(consumer.pending))))

          const done = makeRecorder()
          const leaveDone = yield* subscribeUntilClosed({ group }, only(done.record))
          const handled = event()
          yield* bus.publish(handled)
          yield* eventually(
            "handled",
            Effect.sync(() => done.count(handled.id) === 1)
          )
          yield* leaveDone
          expect(yield* consumers).toEqual([])

          const started = yield* Deferred.make<void>()
          const leaveHolding = yield* subscribeUntilClosed(
            { group },
            only(() => Deferred.succeed(started, undefined).pipe(Effect.zipRight(Effect.never)))
          )
          yield* bus.publish(event())
          yield* Deferred.await(started)
          yield* leaveHolding
          expect(yield* consumers).toEqual([1])
        }),
      30_000
    )

    it.scoped(
      "keeps an entry with a member whose handler outlasts the claim idle time",
      () =>
        Effect.gen(function* () {
          const bus = yield* EventBus
          const { event, only } = testEvents()
          const group = freshGroup("slow")
          const started = yield* Deferred.make<void>()
          const release = yield* Deferred.make<void>()
          const slow = makeRecorder()
          yield* bus.subscribe(
            { group },
            only((e) =>
              Deferred.succeed(started, undefined).pipe(
                Effect.zipRight(Deferred.await(release)),
                Effect.zipRight(slow.record(e))
              )
            )
          )
          const long = event()
          yield* bus.publish(long)
          yield* Deferred.await(started)
          const other = makeRecorder()
          yield* bus.subscribe({ group }, only(other.record))
          // The scenario, not a wait for async work: the handler works for several claim idle times while the
          // other member scans for entries to take over.
          yield* Effect.sleep("2500 millis")
          yield* Deferred.succeed(release, undefined)
          yield* eventually(
            "handled",
            Effect.sync(() => slow.count(long.id) === 1)
          )
          expect(other.count(long.id)).toBe(0)
        }),
      30_000
    )
  })
})

describe("EventBus from configuration", () => {
  const withConfig = (entries: ReadonlyArray<readonly [string, string]>) =>
    Layer.setConfigProvider(ConfigProvider.fromMap(new Map(entries)))

  layer(layerFromConfig.pipe(Layer.provide(withConfig([]))), { excludeTestServices: true })("no REDIS_URL", (it) => {
    it.scoped("keeps events in memory", () =>
      Effect.gen(function* () {
        const bus = yield* EventBus
        const { event, only } = testEvents()
        const seen = makeRecorder()
        yield* bus.subscribe({ group: freshGroup("memory") }, only(seen.record))
        const sent = event()
        yield* bus.publish(sent)
        yield* eventually(
          "delivered",
          Effect.sync(() => seen.count(sent.id) === 1)
        )
      })
    )
  })

  const configuredPrefix = `test-events-config-${crypto.randomUUID()}:`
  layer(
    Layer.unwrapEffect(
      Effect.map(redisUrl, (url) =>
        Layer.merge(layerFromConfig, Redis.layer({ url })).pipe(
          Layer.provide(
            withConfig([
              ["REDIS_URL", url],
              ["REDIS_KEY_PREFIX", configuredPrefix]
            ])
          )
        )
      )
    ),
    { excludeTestServices: true }
  )("REDIS_URL", (it) => {
    it.scoped("publishes to <REDIS_KEY_PREFIX>events", () =>
      Effect.gen(function* () {
        const bus = yield* EventBus
        const redis = yield* Redis.RedisConnection
        const { event, only } = testEvents()
        const seen = makeRecorder()
        yield* bus.subscribe({ group: freshGroup("configured") }, only(seen.record))
        const sent = event()
        yield* bus.publish(sent)
        yield* eventually(
          "delivered",
          Effect.sync(() => seen.count(sent.id) === 1)
        )
        const length = yield* redis.use((client) => client.xLen(`${configuredPrefix}events`))
        yield* redis.use((client) => client.unlink(`${configuredPrefix}events`))
        expect(length).toBe(1)
      })
    )
  })
})
