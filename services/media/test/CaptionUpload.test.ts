// Captions end to end: an SRT uploaded with tus and attached with caption.upload shows in media.get, in the master
// playlist's SUBTITLES group and as WebVTT at its playback URL; bad and oversized files are InvalidCaption with the
// reason; caption.delete takes it out of the master again.
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import type { MediaId } from "@lectern/domain"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { Effect } from "effect"
import * as TestServices from "effect/TestServices"
import {
  blobKeys,
  clientAs,
  fetchBytes,
  generateSource,
  type MediaClient,
  makeMediaTestLayer,
  parseManifest,
  serveMedia,
  settled,
  type TestUser,
  tempDir,
  tusUpload,
  userWith
} from "./fixtures.ts"

const SRT = [
  "1",
  "00:00:00,500 --> 00:00:01,500",
  "<i>Hello</i> <script>alert(1)</script>there",
  "",
  "2",
  "00:00:01,600 --> 00:00:02,900",
  "Second line",
  ""
].join("\r\n")

/** A ready 3 s media of `creator`'s. */
const readyMedia = (url: string, creator: TestUser, client: MediaClient) =>
  Effect.gen(function* () {
    const dir = yield* tempDir
    const source = join(dir, "source.mp4")
    yield* generateSource(source, { seconds: 3, width: 320, height: 240 })
    const uploadId = yield* tusUpload(url, creator.token, yield* Effect.promise(() => readFile(source)))
    const created = yield* client.media.create({ uploadId, title: "Captioned" })
    const ready = yield* settled(client, created.id)
    expect(ready.status).toBe("ready")
    return created.id
  })

const master = (url: string, client: MediaClient, mediaId: MediaId) =>
  Effect.gen(function* () {
    const playback = yield* client.media.playback({ mediaId })
    const masterUrl = `${url}${playback.masterUrl}`
    const response = yield* fetchBytes(masterUrl)
    expect(response.status).toBe(200)
    return { playback, masterUrl, text: response.bytes.toString("utf8") }
  })

describe("captions over HTTP", () => {
  it.layer(makeMediaTestLayer(layerFreshPostgres), { timeout: 60_000 })((it) => {
    it.scoped("an SRT becomes a WebVTT subtitle track of the master playlist, and deleting it removes it", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const url = yield* serveMedia
          const creator = yield* userWith("creator")
          const client = yield* clientAs(url, creator)
          const mediaId = yield* readyMedia(url, creator, client)

          const uploadId = yield* tusUpload(url, creator.token, Buffer.from(SRT), { filename: "en.srt" })
          const captioned = yield* client.caption.upload({ mediaId, language: "en", label: "English", uploadId })
          expect(captioned.captions).toEqual([{ language: "en", label: "English" }])
          expect((yield* client.media.get({ id: mediaId })).captions).toEqual([{ language: "en", label: "English" }])
          // The upload's bytes are gone once the caption holds them.
          expect(yield* blobKeys(`uploads/${uploadId}/`)).toEqual([])

          const { playback, masterUrl, text } = yield* master(url, client, mediaId)
          expect(text).toContain(
            '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,' +
              'URI="captions/en.m3u8"'
          )
          const manifest = parseManifest(text)
          expect(manifest.mediaGroups.SUBTITLES.subs.English).toMatchObject({ language: "en", uri: "captions/en.m3u8" })
          for (const variant of manifest.playlists) expect(variant.attributes.SUBTITLES).toBe("subs")

          expect(playback.captions).toHaveLength(1)
          const vttUrl = `${url}${playback.captions[0]?.url}`
          expect(vttUrl).toBe(new URL("captions/en.vtt", masterUrl).toString())
          const vtt = yield* fetchBytes(vttUrl)
          expect(vtt.status).toBe(200)
          expect(vtt.headers.get("content-type")).toBe("text/vtt")
          expect(vtt.bytes.toString("utf8")).toBe(
            [
              "WEBVTT",
              "",
              "1",
              "00:00:00.500 --> 00:00:01.500",
              "<i>Hello</i> alert(1)there",
              "",
              "2",
              "00:00:01.600 --> 00:00:02.900",
              "Second line",
              ""
            ].join("\n")
          )
          // The caption's own playlist, resolved as a player resolves it, names that WebVTT file.
          const captionPlaylistUrl = new URL("captions/en.m3u8", masterUrl)
          const captionPlaylist = parseManifest((yield* fetchBytes(captionPlaylistUrl.toString())).bytes.toString())
          expect(captionPlaylist.segments.map((s: { uri: string }) => new URL(s.uri, captionPlaylistUrl).href)).toEqual(
            [vttUrl]
          )

          const uncaptioned = yield* client.caption.delete({ mediaId, language: "en" })
          expect(uncaptioned.captions).toEqual([])
          const after = yield* master(url, client, mediaId)
          expect(after.text).not.toContain("SUBTITLES")
          expect(after.playback.captions).toEqual([])
          expect((yield* fetchBytes(vttUrl)).status).toBe(404)
          expect(yield* Effect.flip(client.caption.delete({ mediaId, language: "en" }))).toMatchObject({
            _tag: "CaptionNotFound",
            mediaId,
            language: "en"
          })
        })
      )
    )

    it.scoped("refuses bad and oversized caption files with InvalidCaption and the reason", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const url = yield* serveMedia
          const creator = yield* userWith("creator")
          const client = yield* clientAs(url, creator)
          const mediaId = yield* readyMedia(url, creator, client)
          const attach = (bytes: Buffer, language = "en") =>
            Effect.gen(function* () {
              const uploadId = yield* tusUpload(url, creator.token, bytes, { filename: "captions.srt" })
              const error = yield* Effect.flip(
                client.caption.upload({ mediaId, language, label: "Captions", uploadId })
              )
              expect(yield* blobKeys(`uploads/${uploadId}/`)).toEqual([])
              return error
            })

          const backwards = yield* attach(Buffer.from("1\n00:00:05,000 --> 00:00:04,000\nBackwards\n"))
          expect(backwards).toEqual(
            expect.objectContaining({
              _tag: "InvalidCaption",
              reason: "line 2: the cue ends (00:00:04.000) before it starts (00:00:05.000)"
            })
          )
          const prose = yield* attach(Buffer.from("This is not a caption file.\n"))
          expect(prose).toMatchObject({ _tag: "InvalidCaption" })
          expect(prose._tag === "InvalidCaption" && prose.reason).toContain("neither WebVTT")

          // 2 MiB of well-formed cues: refused for its size alone.
          const cue = (n: number) =>
            `${n}\n00:00:${String(n % 60).padStart(2, "0")},000 --> 00:00:${String(n % 60).padStart(2, "0")},500\nx\n\n`
          let big = ""
          for (let n = 1; big.length < 2 * 1024 * 1024; n++) big += cue(n)
          const oversized = yield* attach(Buffer.from(big.slice(0, 2 * 1024 * 1024)))
          expect(oversized).toMatchObject({ _tag: "InvalidCaption", reason: "a caption file is at most 1048576 bytes" })

          expect((yield* client.media.get({ id: mediaId })).captions).toEqual([])
          expect((yield* master(url, client, mediaId)).text).not.toContain("SUBTITLES")

          // Only the media's owner (or an admin) may caption it.
          const stranger = yield* userWith("creator")
          const strangerUpload = yield* tusUpload(url, stranger.token, Buffer.from(SRT))
          const refused = yield* Effect.flip(
            (yield* clientAs(url, stranger)).caption.upload({
              mediaId,
              language: "en",
              label: "Mine",
              uploadId: strangerUpload
            })
          )
          expect(refused).toMatchObject({ _tag: "MediaNotFound", id: mediaId })
        })
      )
    )
  })
})
