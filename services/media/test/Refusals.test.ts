// Files that are not videos, uploaded with tus and refused by media.create with InvalidMedia and its reason — an
// empty file, text, an HLS playlist or an FFmpeg concat script named .mp4, an AVI hiding a playlist, a program —
// leaving nothing behind: no media in media.list and no objects under the upload's prefix or any media's.
import { execFile } from "node:child_process"
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { promisify } from "node:util"
import { describe, expect, it } from "@effect/vitest"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { Effect } from "effect"
import * as TestServices from "effect/TestServices"
import { blobKeys, clientAs, makeMediaTestLayer, serveMedia, tempDir, tusUpload, userWith } from "./fixtures.ts"

const run = promisify(execFile)

const u32 = (value: number) => {
  const bytes = Buffer.alloc(4)
  bytes.writeUInt32LE(value)
  return bytes
}

/** A RIFF/AVI file whose `movi` list holds an HLS playlist that would make FFmpeg read /etc/passwd. */
const aviWithPlaylist = () => {
  const exploit =
    "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\n" +
    "concat:file:///etc/passwd|subfile,,start,0,end,1000,,:/dev/null\n#EXT-X-ENDLIST\n"
  const movi = Buffer.concat([Buffer.from("movi"), Buffer.from(exploit)])
  const body = Buffer.concat([Buffer.from("AVI LIST"), u32(movi.length), movi])
  return Buffer.concat([Buffer.from("RIFF"), u32(body.length), body])
}

/** An HLS playlist naming one real MPEG-TS segment: ffprobe unguarded would open it as `hls`. */
const playlist = Effect.gen(function* () {
  const dir = yield* tempDir
  const segment = join(dir, "segment.ts")
  yield* Effect.promise(() =>
    run("ffmpeg", [
      "-v",
      "error",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=s=160x120:r=10",
      "-t",
      "1",
      "-c:v",
      "libx264",
      segment
    ])
  )
  return Buffer.from(`#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n${segment}\n#EXT-X-ENDLIST\n`)
})

const cases: ReadonlyArray<{
  readonly name: string
  readonly filename: string
  readonly bytes: Effect.Effect<Buffer, never, import("effect").Scope.Scope>
  readonly reason: string
}> = [
  { name: "an empty file", filename: "empty.mp4", bytes: Effect.succeed(Buffer.alloc(0)), reason: "the file is empty" },
  {
    name: "a text file",
    filename: "notes.mp4",
    bytes: Effect.succeed(Buffer.from("Just some words, nothing else. Ünïcödé too.\n")),
    reason: "it is a text file, not a video file"
  },
  {
    name: "an HLS playlist named .mp4",
    filename: "playlist.mp4",
    bytes: playlist,
    reason: "it is an HLS playlist, not a video file"
  },
  {
    name: "an ffconcat script naming /etc/passwd",
    filename: "concat.mp4",
    bytes: Effect.succeed(Buffer.from("ffconcat version 1.0\nfile /etc/passwd\n")),
    reason: "it is an FFmpeg concat script, not a video file"
  },
  {
    name: "an AVI carrying an HLS playlist",
    filename: "exploit.avi",
    bytes: Effect.sync(aviWithPlaylist),
    reason: "it contains an HLS playlist, which could make FFmpeg read other files"
  },
  {
    name: "the bytes of /bin/ls",
    filename: "ls.mp4",
    bytes: Effect.promise(() => readFile("/bin/ls")),
    reason: "it is a program (ELF executable), not a video file"
  }
]

describe("media.create refusals", () => {
  it.layer(makeMediaTestLayer(layerFreshPostgres), { timeout: 60_000 })((it) => {
    for (const refused of cases) {
      it.scoped(`refuses ${refused.name} with InvalidMedia and leaves nothing behind`, () =>
        TestServices.provideLive(
          Effect.gen(function* () {
            const url = yield* serveMedia
            const creator = yield* userWith("creator")
            const client = yield* clientAs(url, creator)
            const bytes = yield* refused.bytes
            const uploadId = yield* tusUpload(url, creator.token, bytes, { filename: refused.filename })
            expect(yield* blobKeys(`uploads/${uploadId}/`)).toHaveLength(bytes.length === 0 ? 0 : 1)

            const error = yield* Effect.flip(client.media.create({ uploadId, title: refused.name }))
            expect(error).toMatchObject({ _tag: "InvalidMedia", reason: refused.reason })

            expect((yield* client.media.list({})).items).toEqual([])
            expect(yield* blobKeys(`uploads/${uploadId}/`)).toEqual([])
            expect(yield* blobKeys("media/")).toEqual([])
            // The upload was used up by the attempt.
            const again = yield* Effect.flip(client.media.create({ uploadId, title: refused.name }))
            expect(again).toMatchObject({ _tag: "UploadNotFound", uploadId })
          })
        )
      )
    }
  })
})
