// The events admin RPCs in-process over the in-memory bus: admins list and re-drive dead letters, nobody else may; bad input over HTTP is InvalidInput.
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { describe, expect, layer } from "@effect/vitest"
import { makeInProcessClient } from "@lectern/client"
import { EventsAdmin } from "@lectern/contracts"
import { Forbidden, NotFound, type Role, Unauthorized, UserId } from "@lectern/domain"
import { AccessTokenIssuer, layerIssuer, layerRevocations, layerVerifierLocal } from "@lectern/platform/AccessTokens"
import { layerAuthentication } from "@lectern/platform/Authentication"
import * as CacheMemory from "@lectern/platform/CacheMemory"
import { EventBus } from "@lectern/platform/EventBus"
import * as EventBusMemory from "@lectern/platform/EventBusMemory"
import { EventsAdminHandlers } from "@lectern/platform/EventsAdminHandlers"
import { makeRpcHttpHandler } from "@lectern/platform/RpcHttp"
import * as SigningKeys from "@lectern/platform/SigningKeys"
import { eventually, freshGroup, makeRecorder, testEvents } from "@lectern/testkit/EventBusSuite"
import { layerMemoryDatabase } from "@lectern/testkit/TestDatabase"
import { DateTime, Effect, Layer } from "effect"

/** The handlers over the memory bus, behind the real Authentication middleware with locally issued tokens. */
const AdminLive = EventsAdminHandlers.pipe(
  Layer.provideMerge(EventBusMemory.layer({ retryBaseDelay: "10 millis", retryMaxDelay: "100 millis" })),
  Layer.provideMerge(layerAuthentication),
  Layer.provideMerge(Layer.mergeAll(layerIssuer, layerVerifierLocal)),
  Layer.provideMerge(Layer.merge(SigningKeys.layerFromDatabase, layerRevocations)),
  Layer.provideMerge(CacheMemory.layerMemory),
  Layer.provide(layerMemoryDatabase)
)

const tokenFor = (role: Role) =>
  Effect.flatMap(AccessTokenIssuer, (issuer) =>
    issuer.issue({ id: UserId.make(crypto.randomUUID()), role, sessionId: crypto.randomUUID() })
  ).pipe(Effect.map((issued) => issued.token))

const clientAs = (role: Role) =>
  Effect.flatMap(tokenFor(role), (token) => makeInProcessClient(EventsAdmin.EventsAdminRpcs, token))

/** Publishes one event that `group` fails on until `repaired()`; resolves once it is a dead letter. */
const deadLetterIn = (group: string, repaired: () => boolean) =>
  Effect.gen(function* () {
    const bus = yield* EventBus
    const { event, only } = testEvents()
    const handled = makeRecorder()
    yield* bus.subscribe(
      { group, maxDeliveries: 1 },
      only((e) => (repaired() ? handled.record(e) : Effect.fail(new Error("projection table missing"))))
    )
    const stuck = event()
    yield* bus.publish(stuck)
    yield* eventually(
      "dead-lettered",
      bus.deadLetters(group).pipe(Effect.map((deadLetters) => deadLetters.some((d) => d.event.id === stuck.id)))
    )
    return { stuck, handled }
  })

describe("Events admin RPCs", () => {
  layer(AdminLive, { timeout: "60 seconds", excludeTestServices: true })((it) => {
    it.scoped("lists dead letters for admins, all or one group's", () =>
      Effect.gen(function* () {
        const group = freshGroup("projection")
        const { stuck } = yield* deadLetterIn(group, () => false)
        const admin = yield* clientAs("admin")

        const mine = yield* admin.events.deadLetters({ group })
        expect(mine).toHaveLength(1)
        const [deadLetter] = mine
        expect(deadLetter).toBeInstanceOf(EventsAdmin.DeadLetter)
        expect(deadLetter?.group).toBe(group)
        expect(deadLetter?.event).toEqual(stuck)
        expect(deadLetter?.attempts).toBe(1)
        expect(deadLetter?.lastError).toBe("Error: projection table missing")
        expect(deadLetter !== undefined && DateTime.isDateTime(deadLetter.failedAt)).toBe(true)

        const all = yield* admin.events.deadLetters({})
        expect(all.map((d) => d.id)).toContain(deadLetter?.id)
        expect(yield* admin.events.deadLetters({ group: freshGroup("quiet") })).toEqual([])
      })
    )

    it.scoped("re-drives a dead letter for an admin, and answers NotFound once it is gone", () =>
      Effect.gen(function* () {
        const group = freshGroup("redrive")
        let fixed = false
        const { stuck, handled } = yield* deadLetterIn(group, () => fixed)
        const admin = yield* clientAs("admin")
        const [deadLetter] = yield* admin.events.deadLetters({ group })
        const id = deadLetter?.id ?? ""

        fixed = true
        yield* admin.events.redrive({ id })
        yield* eventually(
          "handled after the re-drive",
          Effect.sync(() => handled.count(stuck.id) === 1)
        )
        expect(yield* admin.events.deadLetters({ group })).toEqual([])

        const again = yield* admin.events.redrive({ id }).pipe(Effect.flip)
        expect(again).toEqual(new NotFound({ entity: "DeadLetter", id }))
        const unknown = yield* admin.events.redrive({ id: "no-such-dead-letter" }).pipe(Effect.flip)
        expect(unknown).toBeInstanceOf(NotFound)
      })
    )

    it.scoped("refuses learners and creators with Forbidden, and callers without a token with Unauthorized", () =>
      Effect.gen(function* () {
        const group = freshGroup("guarded")
        yield* deadLetterIn(group, () => false)
        const bus = yield* EventBus
        const [deadLetter] = yield* bus.deadLetters(group)
        for (const role of ["learner", "creator"] as const) {
          const client = yield* clientAs(role)
          expect(yield* client.events.deadLetters({}).pipe(Effect.flip)).toBeInstanceOf(Forbidden)
          expect(yield* client.events.redrive({ id: deadLetter?.id ?? "" }).pipe(Effect.flip)).toBeInstanceOf(Forbidden)
        }
        const anonymous = yield* makeInProcessClient(EventsAdmin.EventsAdminRpcs, undefined)
        expect(yield* anonymous.events.deadLetters({}).pipe(Effect.flip)).toBeInstanceOf(Unauthorized)
        // Nothing was re-driven by the refused calls.
        expect((yield* bus.deadLetters(group)).map((d) => d.id)).toEqual([deadLetter?.id])
      })
    )

    it.scoped("answers a payload its Schema rejects with InvalidInput over HTTP", () =>
      Effect.gen(function* () {
        const handler = yield* makeRpcHttpHandler(EventsAdmin.EventsAdminRpcs)
        const url = yield* Effect.acquireRelease(
          Effect.async<ReturnType<typeof createServer>>((resume) => {
            const server = createServer(handler.handle)
            server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
          }),
          (server) =>
            Effect.async<void>((resume) => {
              server.closeAllConnections()
              server.close(() => resume(Effect.void))
            })
        ).pipe(
          Effect.map((server) => {
            const address: AddressInfo | string | null = server.address()
            if (address === null || typeof address === "string") throw new Error("expected a TCP address")
            return `http://127.0.0.1:${address.port}/rpc/events`
          })
        )
        const token = yield* tokenFor("admin")
        const call = (tag: string, payload: unknown) =>
          Effect.tryPromise(async () => {
            const response = await fetch(url, {
              method: "POST",
              headers: { "content-type": "application/ndjson", authorization: `Bearer ${token}` },
              body: `${JSON.stringify({ _tag: "Request", id: "1", tag, payload, headers: [] })}\n`
            })
            return (await response.text()).trim()
          })
        for (const [tag, payload] of [
          ["events.redrive", { id: "" }],
          ["events.redrive", { id: "x".repeat(101) }],
          ["events.redrive", {}],
          ["events.deadLetters", { group: "g".repeat(201) }]
        ] as const) {
          const reply = yield* call(tag, payload)
          expect(reply, `${tag} ${JSON.stringify(payload)}`).toContain('"_tag":"InvalidInput"')
        }
      })
    )
  })
})
