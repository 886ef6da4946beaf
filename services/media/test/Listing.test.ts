// media.list and media.get over HTTP: newest-first pages with a cursor, cursors that were never given out refused
// with InvalidCursor, each creator seeing only their own media, and admins seeing anyone's.
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Cursor } from "@lectern/domain"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { Effect } from "effect"
import * as TestServices from "effect/TestServices"
import {
  clientAs,
  generateSource,
  type MediaClient,
  makeMediaTestLayer,
  serveMedia,
  type TestUser,
  tempDir,
  tusUpload,
  userWith
} from "./fixtures.ts"

const base64Url = (text: string) => Buffer.from(text).toString("base64url")

/** Cursors this list never gave out: not base64url JSON, the wrong shape, or values that are not a date and an id. */
const forged = [
  "%%%not-base64%%%",
  base64Url("not json"),
  base64Url("[1, 2, 3]"),
  base64Url(JSON.stringify({ createdAt: "2024-01-01T00:00:00.000Z" })),
  base64Url(JSON.stringify({ createdAt: "yesterday", id: crypto.randomUUID() })),
  base64Url(JSON.stringify({ createdAt: "2024-01-01T00:00:00.000Z", id: "' OR 1=1 --" })),
  base64Url(JSON.stringify({ createdAt: "2024-01-01T00:00:00.000Z", id: 42 }))
]

describe("media.list and media.get", () => {
  // No worker: listing needs the media, not their transcodes.
  it.layer(makeMediaTestLayer(layerFreshPostgres, { worker: false }), { timeout: 60_000 })((it) => {
    it.scoped("pages newest first, refuses forged cursors, and shows media to their owner and admins only", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const url = yield* serveMedia
          const dir = yield* tempDir
          const source = join(dir, "source.mp4")
          yield* generateSource(source, { seconds: 1, width: 320, height: 240, audio: false })
          const bytes = yield* Effect.promise(() => readFile(source))
          const createAs = (user: TestUser, client: MediaClient, title: string) =>
            Effect.flatMap(tusUpload(url, user.token, bytes), (uploadId) => client.media.create({ uploadId, title }))

          const creator = yield* userWith("creator")
          const client = yield* clientAs(url, creator)
          const first = yield* createAs(creator, client, "First")
          const second = yield* createAs(creator, client, "Second")
          const third = yield* createAs(creator, client, "Third")
          const other = yield* userWith("creator")
          const otherClient = yield* clientAs(url, other)
          const theirs = yield* createAs(other, otherClient, "Theirs")

          const page1 = yield* client.media.list({ limit: 2 })
          expect(page1.items.map((m) => m.title)).toEqual(["Third", "Second"])
          expect(page1.items.map((m) => m.id)).toEqual([third.id, second.id])
          expect(page1.nextCursor).not.toBeNull()
          const page2 = yield* client.media.list({ limit: 2, cursor: page1.nextCursor ?? undefined })
          expect(page2.items.map((m) => m.id)).toEqual([first.id])
          expect(page2.nextCursor).toBeNull()
          // An exact page has no cursor to an empty one; the default limit takes all three.
          expect((yield* client.media.list({ limit: 3 })).nextCursor).toBeNull()
          expect((yield* client.media.list({})).items.map((m) => m.title)).toEqual(["Third", "Second", "First"])
          expect((yield* otherClient.media.list({})).items.map((m) => m.id)).toEqual([theirs.id])

          for (const cursor of forged) {
            const error = yield* Effect.flip(client.media.list({ limit: 2, cursor: Cursor.make(cursor) }))
            expect({ cursor, tag: error._tag }).toEqual({ cursor, tag: "InvalidCursor" })
          }

          // Someone else's media does not exist for a creator; an admin sees it.
          expect(yield* Effect.flip(otherClient.media.get({ id: first.id }))).toMatchObject({
            _tag: "MediaNotFound",
            id: first.id
          })
          expect(yield* Effect.flip(otherClient.media.delete({ id: first.id }))).toMatchObject({
            _tag: "MediaNotFound"
          })
          const learner = yield* clientAs(url, yield* userWith("learner"))
          expect((yield* Effect.flip(learner.media.get({ id: first.id })))._tag).toBe("MediaNotFound")
          const admin = yield* clientAs(url, yield* userWith("admin"))
          const seen = yield* admin.media.get({ id: first.id })
          expect(seen).toMatchObject({ id: first.id, ownerId: creator.id, title: "First" })
          // An admin's own list is their own media.
          expect((yield* admin.media.list({})).items).toEqual([])
          // Anonymous callers get nothing at all.
          const anonymous = yield* clientAs(url, undefined)
          expect((yield* Effect.flip(anonymous.media.get({ id: first.id })))._tag).toBe("Unauthorized")
        })
      )
    )
  })
})
