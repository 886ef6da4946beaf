// What the media bench does as a client: generate the source, upload it over tus, and call media.* on the gateway.
import { execFile } from "node:child_process"
import { promisify } from "node:util"
import { makeLectern } from "@lectern/client"
import type { Media } from "@lectern/contracts"
import { Email, type MediaId } from "@lectern/domain"
import { keyframesOnSegmentGrid, parsePacketLines } from "@lectern/platform/TranscoderFfmpeg"
import { Effect, Exit, Schema, Scope } from "effect"

const run = promisify(execFile)

/** The generated source's frame rate and keyframe interval (3 s: off the 2 s segment grid, so no rung is copied). */
export const SOURCE_FRAME_RATE = 25
export const SOURCE_KEYFRAME_FRAMES = 75

/**
 * Writes a 1080p source with FFmpeg's lavfi, as a camera or phone would hand it over: H.264 High profile (CABAC,
 * B-frames: x264 superfast) at about 10 Mbit/s, keyframes every 3 s, AAC stereo sound. A moving test pattern and a
 * tone, `seconds` long. (x264 ultrafast would give Constrained Baseline, which decodes 2.5× faster than what
 * creators upload, and so would flatter the per-rendition way, which decodes the source once per rung.)
 */
export const generateSource = async (ffmpeg: string, path: string, seconds: number) => {
  await run(ffmpeg, [
    ...["-v", "error", "-y"],
    ...["-f", "lavfi", "-i", `testsrc2=size=1920x1080:rate=${SOURCE_FRAME_RATE}:duration=${seconds}`],
    ...["-f", "lavfi", "-i", `sine=frequency=440:sample_rate=48000:duration=${seconds}`],
    ...["-c:v", "libx264", "-preset", "superfast", "-profile:v", "high", "-pix_fmt", "yuv420p"],
    ...["-x264-params", `keyint=${SOURCE_KEYFRAME_FRAMES}:min-keyint=${SOURCE_KEYFRAME_FRAMES}:scenecut=0`],
    ...["-c:a", "aac", "-b:a", "96k", "-ac", "2", "-shortest", path]
  ])
}

/** Whether the Transcoder's codec-copy rule would accept the file's keyframes (then a rung could be copied). */
export const keyframesOnGrid = async (ffprobe: string, path: string) => {
  const { stdout } = await run(
    ffprobe,
    ["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0", path],
    { maxBuffer: 64 * 1024 * 1024 }
  )
  return keyframesOnSegmentGrid(parsePacketLines(stdout))
}

export class UploadFailed extends Error {
  override readonly name = "UploadFailed"
}

/**
 * Uploads `bytes` to `/media/uploads` with the tus protocol (creation, then one PATCH of everything, as
 * tus-js-client does without a chunk size); answers the upload id.
 */
export const tusUpload = async (
  origin: string,
  accessToken: string,
  bytes: Uint8Array<ArrayBuffer>,
  filename: string
) => {
  const common = { authorization: `Bearer ${accessToken}`, "tus-resumable": "1.0.0" }
  const created = await fetch(`${origin}/media/uploads`, {
    method: "POST",
    headers: {
      ...common,
      "upload-length": String(bytes.length),
      "upload-metadata": `filename ${Buffer.from(filename).toString("base64")}`
    }
  })
  await created.arrayBuffer()
  const location = created.headers.get("location")
  if (created.status !== 201 || location === null) {
    throw new UploadFailed(`creating the upload answered ${created.status} without a Location`)
  }
  const url = new URL(location, `${origin}/media/uploads/`)
  const patched = await fetch(url, {
    method: "PATCH",
    headers: { ...common, "content-type": "application/offset+octet-stream", "upload-offset": "0" },
    body: bytes
  })
  await patched.arrayBuffer()
  if (patched.status !== 204 || patched.headers.get("upload-offset") !== String(bytes.length)) {
    throw new UploadFailed(`the PATCH answered ${patched.status}, offset ${patched.headers.get("upload-offset")}`)
  }
  const id = url.pathname.split("/").pop()
  if (id === undefined || id === "") throw new UploadFailed(`no upload id in ${location}`)
  return id
}

/** A session's access token for `email` (the gateway's bootstrap admin, who may upload). */
export const logIn = (origin: string, email: string, password: string) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const lectern = yield* makeLectern({ baseUrl: origin })
      const session = yield* lectern.auth.session.login({ email: yield* Schema.decode(Email)(email), password })
      return session.accessToken
    }).pipe(Effect.scoped)
  )

export class MediaFailed extends Error {
  override readonly name = "MediaFailed"
}

export interface MediaClient {
  readonly create: (uploadId: string, title: string) => Promise<Media.Media>
  readonly get: (id: MediaId) => Promise<Media.Media>
  /**
   * Polls media.get every `intervalMs` until ready, noting when it first read `processing` (a worker took the job;
   * `performance.now()` time, undefined if never seen); throws MediaFailed when it failed.
   */
  readonly waitReady: (
    id: MediaId,
    intervalMs: number
  ) => Promise<{ readonly media: Media.Media; readonly processingSeenAt: number | undefined }>
  /** The signed base path every HLS file of the media is under, e.g. `/media/hls/<id>/<token>/`. */
  readonly playbackBase: (id: MediaId) => Promise<string>
  readonly close: () => Promise<void>
}

/** The typed media client, calling as the holder of `accessToken`, kept open until `close`. */
export const openMediaClient = async (origin: string, accessToken: string): Promise<MediaClient> => {
  const scope = Effect.runSync(Scope.make())
  const lectern = await Effect.runPromise(Scope.extend(makeLectern({ baseUrl: origin, accessToken }), scope))
  const media = lectern.media.media
  const get = (id: MediaId) => Effect.runPromise(media.get({ id }))
  const waitReady = async (id: MediaId, intervalMs: number) => {
    let processingSeenAt: number | undefined
    for (;;) {
      const current = await get(id)
      if (current.status === "processing" || current.status === "ready") processingSeenAt ??= performance.now()
      if (current.status === "ready") return { media: current, processingSeenAt }
      if (current.status === "failed") throw new MediaFailed(`media ${id} failed: ${current.error}`)
      await new Promise((resolve) => setTimeout(resolve, intervalMs))
    }
  }
  return {
    create: (uploadId, title) => Effect.runPromise(media.create({ uploadId, title })),
    get,
    waitReady,
    playbackBase: async (id) => {
      const playback = await Effect.runPromise(media.playback({ mediaId: id }))
      const url = new URL(playback.masterUrl, origin)
      return url.pathname.slice(0, url.pathname.lastIndexOf("/") + 1)
    },
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}
