// Media end to end over HTTP with real FFmpeg, Postgres and filesystem blobs: tus upload (and resume) → media.create
// → the worker's single-pass ladder → signed HLS playback, checked with m3u8-parser and ffprobe; captions; refusals.
import { execFile } from "node:child_process"
import { readFile, writeFile } from "node:fs/promises"
import { request } from "node:http"
import { join } from "node:path"
import { promisify } from "node:util"
import { describe, expect, it } from "@effect/vitest"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { Effect, Exit, Schedule } from "effect"
import * as TestServices from "effect/TestServices"
import { Parser } from "m3u8-parser"
import * as tus from "tus-js-client"
import { HlsEndpoint } from "../src/HlsServer.ts"
import { signPlayback } from "../src/PlaybackSigning.ts"
import {
  clientAs,
  generateSource,
  MEDIA_TEST_CONFIG,
  makeMediaTestLayer,
  serveMedia,
  tempDir,
  userWith
} from "./fixtures.ts"

const run = promisify(execFile)

/** Uploads `bytes` with tus-js-client; answers the upload id (the last segment of its URL). */
const tusUpload = (url: string, token: string, bytes: Buffer, chunkSize?: number) =>
  Effect.async<string, Error>((resume) => {
    const upload = new tus.Upload(bytes, {
      endpoint: `${url}/media/uploads`,
      headers: { authorization: `Bearer ${token}` },
      metadata: { filename: "source.mp4" },
      retryDelays: [],
      ...(chunkSize === undefined ? {} : { chunkSize }),
      onError: (error) => resume(Effect.fail(error)),
      onSuccess: () => resume(Effect.succeed(upload.url?.split("/").pop() ?? ""))
    })
    upload.start()
  })

const parse = (text: string) => {
  const parser = new Parser()
  parser.push(text)
  parser.end()
  return parser.manifest
}

const get = (url: string, headers: Record<string, string> = {}) =>
  Effect.promise(async () => {
    const response = await fetch(url, { headers })
    return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) }
  })

describe("media pipeline", () => {
  it.layer(makeMediaTestLayer(layerFreshPostgres), { timeout: 240_000 })((it) => {
    it.scoped(
      "upload → transcode → signed HLS playback",
      () =>
        TestServices.provideLive(
          Effect.gen(function* () {
            const url = yield* serveMedia
            const creator = yield* userWith("creator")
            const dir = yield* tempDir
            const source = join(dir, "source.mp4")
            yield* generateSource(source, { seconds: 5, width: 1280, height: 720 })
            const bytes = yield* Effect.promise(() => readFile(source))

            const uploadId = yield* tusUpload(url, creator.token, bytes, 256 * 1024)
            const media = yield* clientAs(url, creator)
            const created = yield* media.media.create({ uploadId, title: "Lesson one" })
            expect(created.status).toBe("queued")
            expect(created.width).toBe(1280)
            expect(created.height).toBe(720)
            expect(created.sizeBytes).toBe(bytes.length)
            // The same upload cannot make a second media.
            const again = yield* Effect.exit(media.media.create({ uploadId, title: "Twice" }))
            expect(Exit.isFailure(again) && JSON.stringify(again.cause)).toContain("UploadNotFound")

            const ready = yield* media.media.get({ id: created.id }).pipe(
              Effect.flatMap((m) =>
                m.status === "ready" || m.status === "failed" ? Effect.succeed(m) : Effect.fail("pending" as const)
              ),
              Effect.retry({ while: (error) => error === "pending", schedule: Schedule.spaced("250 millis") }),
              Effect.timeout("180 seconds")
            )
            expect(ready.error).toBeNull()
            expect(ready.status).toBe("ready")
            expect(ready.progress).toBe(100)
            expect(ready.renditions.map((r) => r.name)).toEqual(["360p", "720p"])

            const playback = yield* media.media.playback({ mediaId: created.id })
            const master = yield* get(`${url}${playback.masterUrl}`)
            expect(master.status).toBe(200)
            expect(master.headers.get("content-type")).toBe("application/vnd.apple.mpegurl")
            const manifest = parse(master.bytes.toString("utf8"))
            expect(
              manifest.playlists.map(
                (p: { attributes: { RESOLUTION: { height: number } } }) => p.attributes.RESOLUTION.height
              )
            ).toEqual([360, 720])

            // A variant resolved the way players resolve it: against the master's URL.
            const base = new URL(`${url}${playback.masterUrl}`)
            const variantUrl = new URL(manifest.playlists[1].uri, base)
            const variant = parse((yield* get(variantUrl.toString())).bytes.toString("utf8"))
            const durations: Array<number> = variant.segments.map((s: { duration: number }) => s.duration)
            expect(Math.max(...durations)).toBeLessThanOrEqual(2.1)
            expect(Math.abs(durations.reduce((a, b) => a + b, 0) - 5)).toBeLessThan(0.1)
            const segmentUrl = new URL(variant.segments[0].uri, variantUrl).toString()
            const segment = yield* get(segmentUrl)
            expect(segment.status).toBe(200)
            expect(segment.headers.get("content-type")).toBe("video/mp2t")
            expect(segment.headers.get("cache-control")).toContain("immutable")
            const etag = segment.headers.get("etag") ?? ""
            expect((yield* get(segmentUrl, { "if-none-match": etag })).status).toBe(304)
            const ranged = yield* get(segmentUrl, { range: "bytes=10-19" })
            expect(ranged.status).toBe(206)
            expect(ranged.bytes).toEqual(segment.bytes.subarray(10, 20))
            expect((yield* get(segmentUrl, { range: `bytes=${segment.bytes.length + 5}-` })).status).toBe(416)
            // The first GET of a segment borrowed a pooled buffer and gave it back; the second put it in the LRU.
            const endpoint = yield* HlsEndpoint
            expect(endpoint.pool.idle).toBeGreaterThan(0)
            // The filesystem store keeps cold segments open: the next read of one is a single positional read.
            expect(endpoint.openFiles.size).toBeGreaterThan(0)
            expect(endpoint.cache.size).toBeGreaterThanOrEqual(segment.bytes.length)
            // Another segment read through a borrowed buffer, then from the LRU: the same MPEG-TS bytes both times.
            const nextUrl = new URL(variant.segments[1].uri, variantUrl).toString()
            const borrowed = yield* get(nextUrl)
            const cached = yield* get(nextUrl)
            expect(borrowed.bytes[0]).toBe(0x47)
            expect(cached.bytes).toEqual(borrowed.bytes)

            // The rendition itself, read by an independent tool.
            const local = join(dir, "segment.ts")
            yield* Effect.promise(() => writeFile(local, segment.bytes))
            const probed = yield* Effect.promise(() =>
              run("ffprobe", ["-v", "error", "-show_streams", "-of", "json", local])
            )
            const streams = JSON.parse(probed.stdout).streams as Array<{ codec_name: string; height?: number }>
            expect(streams.map((s) => s.codec_name).sort()).toEqual(["aac", "h264"])
            expect(streams.find((s) => s.codec_name === "h264")?.height).toBe(720)

            // Tokens: tampered, for another media, expired, and paths outside the media.
            const token = playback.masterUrl.split("/")[4] ?? ""
            const tampered = playback.masterUrl.replace(
              token,
              `${token.slice(0, -2)}${token.endsWith("A") ? "BB" : "AA"}`
            )
            expect((yield* get(`${url}${tampered}`)).status).toBe(403)
            const otherMedia = playback.masterUrl.replace(created.id, crypto.randomUUID())
            expect((yield* get(`${url}${otherMedia}`)).status).toBe(403)
            const expired = signPlayback({
              secret: MEDIA_TEST_CONFIG.get("MEDIA_SIGNING_SECRET") ?? "",
              mediaId: created.id,
              userId: creator.id,
              expiresAt: new Date(Date.now() - 1000)
            })
            expect((yield* get(`${url}${expired.basePath}master.m3u8`)).status).toBe(403)
            const traversal = `${url}${playback.masterUrl.replace("master.m3u8", "../../../etc/passwd")}`
            expect([400, 404]).toContain(yield* rawStatus(traversal))
            expect([400, 404]).toContain(
              yield* rawStatus(`${url}${playback.masterUrl.replace("master.m3u8", "%2e%2e/x")}`)
            )

            // Nobody else may play it (no preview without catalog); a learner's upload (an attachment) cannot
            // become a video.
            const learner = yield* userWith("learner")
            const stranger = yield* Effect.exit((yield* clientAs(url, learner)).media.playback({ mediaId: created.id }))
            expect(Exit.isFailure(stranger) && JSON.stringify(stranger.cause)).toContain("MediaNotFound")
            const attachment = yield* tusUpload(url, learner.token, Buffer.from("x".repeat(100)))
            const refused = yield* Effect.exit(
              (yield* clientAs(url, learner)).media.create({ uploadId: attachment, title: "Mine" })
            )
            expect(Exit.isFailure(refused) && JSON.stringify(refused.cause)).toContain("Forbidden")

            // Deleting removes every object: the playlist is gone.
            yield* media.media.delete({ id: created.id })
            expect((yield* get(`${url}${playback.masterUrl}`)).status).toBe(404)
          })
        ),
      200_000
    )
  })
})

/** The status of a GET sent with the path exactly as written (fetch would normalise `..`). */
const rawStatus = (url: string) =>
  Effect.async<number>((resume) => {
    const parsed = new URL(url)
    const path = url.slice(url.indexOf("/", url.indexOf("//") + 2))
    const req = request({ host: parsed.hostname, port: parsed.port, path, method: "GET" }, (res) => {
      res.resume()
      resume(Effect.succeed(res.statusCode ?? 0))
    })
    req.end()
  })
