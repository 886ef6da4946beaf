// The pipeline with its blobs on S3 (s3rver): a chunked tus upload joined into one source object, the transcode
// staged and moved into `media/<id>/v1/`, signed HLS playback streamed from S3 (playlists, segments with ranges,
// poster, thumbnails), and media.delete removing every object.
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { layerS3 } from "@lectern/platform/BlobStoreS3"
import { startS3Server } from "@lectern/testkit/S3Server"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { Effect, Layer, Redacted } from "effect"
import * as TestServices from "effect/TestServices"
import {
  blobKeys,
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

/** A BlobStore on a fresh s3rver, in a bucket the layer creates. */
const layerS3Blobs = Layer.unwrapScoped(
  Effect.map(startS3Server(), (server) =>
    layerS3({
      bucket: "lectern-media-test",
      endpoint: server.endpoint,
      region: server.region,
      accessKeyId: server.accessKeyId,
      secretAccessKey: Redacted.make(server.secretAccessKey),
      forcePathStyle: true
    })
  )
).pipe(Layer.orDie)

describe("media pipeline on S3", () => {
  it.layer(makeMediaTestLayer(layerFreshPostgres, { blobs: layerS3Blobs }), { timeout: 60_000 })((it) => {
    it.scoped("upload → transcode → signed HLS playback → delete, with every object on S3", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const url = yield* serveMedia
          const creator = yield* userWith("creator")
          const client = yield* clientAs(url, creator)
          const dir = yield* tempDir
          const source = join(dir, "source.mp4")
          yield* generateSource(source, { seconds: 2, width: 1280, height: 720 })
          const bytes = yield* Effect.promise(() => readFile(source))

          const uploadId = yield* tusUpload(url, creator.token, bytes, { chunkSize: 64 * 1024 })
          expect((yield* blobKeys(`uploads/${uploadId}/`)).length).toBe(Math.ceil(bytes.length / (64 * 1024)))
          const created = yield* client.media.create({ uploadId, title: "On S3" })
          expect(created).toMatchObject({ status: "queued", sizeBytes: bytes.length, width: 1280, height: 720 })
          expect(yield* blobKeys(`uploads/${uploadId}/`)).toEqual([`uploads/${uploadId}/source`])

          const ready = yield* settled(client, created.id)
          expect(ready).toMatchObject({ status: "ready", error: null })
          expect(ready.renditions.map((r) => r.name)).toEqual(["360p", "720p"])
          const keys = yield* blobKeys(`media/${created.id}/`)
          expect(keys.length).toBeGreaterThan(0)
          expect(keys.every((key) => key.startsWith(`media/${created.id}/v1/`))).toBe(true)
          expect(keys).toContain(`media/${created.id}/v1/720p/index.m3u8`)

          const playback = yield* client.media.playback({ mediaId: created.id })
          const masterUrl = `${url}${playback.masterUrl}`
          const master = parseManifest((yield* fetchBytes(masterUrl)).bytes.toString("utf8"))
          expect(master.playlists.map((p: { uri: string }) => p.uri)).toEqual(["360p/index.m3u8", "720p/index.m3u8"])
          const variantUrl = new URL(master.playlists[1].uri, masterUrl)
          const variant = parseManifest((yield* fetchBytes(variantUrl.toString())).bytes.toString("utf8"))
          const segmentUrl = new URL(variant.segments[0].uri, variantUrl).toString()
          const segment = yield* fetchBytes(segmentUrl)
          expect(segment.status).toBe(200)
          expect(segment.headers.get("content-type")).toBe("video/mp2t")
          expect(segment.bytes[0]).toBe(0x47)
          const ranged = yield* fetchBytes(segmentUrl, { range: "bytes=188-375" })
          expect(ranged.status).toBe(206)
          expect(ranged.bytes).toEqual(segment.bytes.subarray(188, 376))
          const poster = yield* fetchBytes(`${url}${playback.posterUrl}`)
          expect(poster.status).toBe(200)
          expect(poster.headers.get("content-type")).toBe("image/jpeg")
          expect([...poster.bytes.subarray(0, 2)]).toEqual([0xff, 0xd8])
          const thumbnails = yield* fetchBytes(`${url}${playback.thumbnailsVttUrl}`)
          expect(thumbnails.status).toBe(200)
          expect(thumbnails.bytes.toString("utf8")).toMatch(/^WEBVTT/)

          yield* client.media.delete({ id: created.id })
          expect(yield* blobKeys(`media/${created.id}/`)).toEqual([])
          expect(yield* blobKeys(`uploads/${uploadId}/`)).toEqual([])
          expect((yield* fetchBytes(masterUrl)).status).toBe(404)
        })
      )
    )
  })
})
