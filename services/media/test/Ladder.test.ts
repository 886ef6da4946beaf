// The ladder follows the source: a 480p upload gets the 360p rung only (nothing is upscaled), and the master
// playlist served for it names exactly that one variant, whose segments really are 360 lines high.
import { execFile } from "node:child_process"
import { readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { promisify } from "node:util"
import { describe, expect, it } from "@effect/vitest"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { Effect } from "effect"
import * as TestServices from "effect/TestServices"
import {
  clientAs,
  fetchBytes,
  generateSource,
  makeMediaTestLayer,
  parseManifest,
  serveMedia,
  settled,
  tempDir,
  tusUpload,
  userWith
} from "./fixtures.ts"

const run = promisify(execFile)

describe("media ladder", () => {
  it.layer(makeMediaTestLayer(layerFreshPostgres), { timeout: 60_000 })((it) => {
    it.scoped("a 480p source gets only the 360p rung, and the master playlist one variant", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const url = yield* serveMedia
          const creator = yield* userWith("creator")
          const client = yield* clientAs(url, creator)
          const dir = yield* tempDir
          const source = join(dir, "source.mp4")
          yield* generateSource(source, { seconds: 3, width: 854, height: 480 })
          const bytes = yield* Effect.promise(() => readFile(source))
          const uploadId = yield* tusUpload(url, creator.token, bytes)
          const created = yield* client.media.create({ uploadId, title: "480p" })
          expect(created).toMatchObject({ width: 854, height: 480 })

          const ready = yield* settled(client, created.id)
          expect(ready).toMatchObject({ status: "ready", error: null })
          expect(ready.renditions.map((r) => [r.name, r.height])).toEqual([["360p", 360]])
          expect(ready.renditions[0]?.width).toBe(640)

          const playback = yield* client.media.playback({ mediaId: created.id })
          const masterUrl = `${url}${playback.masterUrl}`
          const master = yield* fetchBytes(masterUrl)
          expect(master.status).toBe(200)
          const text = master.bytes.toString("utf8")
          expect(text.match(/#EXT-X-STREAM-INF/g)).toHaveLength(1)
          const manifest = parseManifest(text)
          expect(manifest.playlists).toHaveLength(1)
          expect(manifest.playlists[0].uri).toBe("360p/index.m3u8")
          expect(manifest.playlists[0].attributes.RESOLUTION).toEqual({ width: 640, height: 360 })
          // No higher rung exists behind the playlist either.
          expect((yield* fetchBytes(new URL("720p/index.m3u8", masterUrl).toString())).status).toBe(404)

          const variantUrl = new URL(manifest.playlists[0].uri, masterUrl)
          const variant = parseManifest((yield* fetchBytes(variantUrl.toString())).bytes.toString("utf8"))
          const segment = yield* fetchBytes(new URL(variant.segments[0].uri, variantUrl).toString())
          expect(segment.status).toBe(200)
          const local = join(dir, "segment.ts")
          yield* Effect.promise(() => writeFile(local, segment.bytes))
          const probed = yield* Effect.promise(() =>
            run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_streams", "-of", "json", local])
          )
          const [video] = JSON.parse(probed.stdout).streams as Array<{ width: number; height: number }>
          expect(video).toMatchObject({ width: 640, height: 360 })
        })
      )
    )
  })
})
