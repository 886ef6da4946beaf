// The Transcoder port: probe an uploaded file and turn it into an HLS ladder with a poster and scrub thumbnails.
import { Context, Data, type Duration, type Effect } from "effect"

/** The file is not something we accept as a video; `reason` says why in words a creator can act on. */
export class InvalidMedia extends Data.TaggedError("InvalidMedia")<{ readonly reason: string }> {}

/** The tool failed on a file it had accepted (crash, timeout, disk); `stderr` is its tail. */
export class TranscodeFailed extends Data.TaggedError("TranscodeFailed")<{
  readonly reason: string
  readonly stderr: string
}> {}

export interface ProbeLimits {
  /** Longest accepted duration. */
  readonly maxSeconds: number
  readonly maxWidth: number
  readonly maxHeight: number
}

export interface VideoStream {
  readonly codec: string
  readonly profile: string | undefined
  readonly pixelFormat: string | undefined
  readonly width: number
  readonly height: number
  readonly frameRate: number
  /** Bits per second when the container says; undefined otherwise. */
  readonly bitRate: number | undefined
}

export interface AudioStream {
  readonly codec: string
  readonly channels: number
  readonly sampleRate: number
  readonly bitRate: number | undefined
}

export interface Probe {
  readonly formatName: string
  readonly durationSeconds: number
  readonly sizeBytes: number
  readonly video: VideoStream
  readonly audio: AudioStream | undefined
}

export type RungName = "360p" | "720p" | "1080p"

export interface Rendition {
  readonly name: RungName
  readonly width: number
  readonly height: number
  /** Peak bits per second for the master playlist's BANDWIDTH. */
  readonly bandwidth: number
  readonly averageBandwidth: number
  /** RFC 6381 codecs for CODECS, e.g. `avc1.64001f,mp4a.40.2`. */
  readonly codecs: string
  /** Relative to the output directory, e.g. `720p/index.m3u8`. */
  readonly playlist: string
  /** True when the source's video was copied rather than re-encoded. */
  readonly copied: boolean
}

export interface TranscodeResult {
  readonly durationSeconds: number
  readonly renditions: ReadonlyArray<Rendition>
  /** Relative paths inside the output directory. */
  readonly masterPlaylist: string
  readonly poster: string
  readonly thumbnailsVtt: string
  readonly thumbnailsSprite: string
}

export interface TranscodeOptions {
  readonly probe: Probe
  /** Called with 0–100 as the work advances (at most a few times per second). */
  readonly onProgress: (percent: number) => Effect.Effect<void>
  /** Wall-clock limit for the whole transcode; past it the process is killed and TranscodeFailed returned. */
  readonly timeout: Duration.DurationInput
}

export interface TranscoderService {
  /** Reads `inputPath` with ffprobe (local files only) and checks it against `limits`. */
  readonly probe: (inputPath: string, limits: ProbeLimits) => Effect.Effect<Probe, InvalidMedia | TranscodeFailed>
  /**
   * Writes the ladder for `inputPath` into the (empty, existing) `outputDir`: each rung at or below the source's
   * height in `<rung>/index.m3u8` + segments, a master playlist, a poster and a thumbnail sprite with its WebVTT.
   */
  readonly transcode: (
    inputPath: string,
    outputDir: string,
    options: TranscodeOptions
  ) => Effect.Effect<TranscodeResult, TranscodeFailed>
}

export class Transcoder extends Context.Tag("@lectern/platform/Transcoder")<Transcoder, TranscoderService>() {}

/** The ladder: 360p 0.8 Mbps, 720p 2 Mbps, 1080p 4 Mbps; peak ≤ 1.3× target, buffer 2× target. */
export const LADDER: ReadonlyArray<{ readonly name: RungName; readonly height: number; readonly bitRate: number }> = [
  { name: "360p", height: 360, bitRate: 800_000 },
  { name: "720p", height: 720, bitRate: 2_000_000 },
  { name: "1080p", height: 1080, bitRate: 4_000_000 }
]
export const MAX_RATE_FACTOR = 1.3
export const BUFFER_FACTOR = 2
export const AUDIO_BIT_RATE = 128_000
export const SEGMENT_SECONDS = 2

/**
 * The rungs for a source of `width`×`height`: every rung at or below its shorter side (a rung's "p" is the short side,
 * so a 1080×1920 portrait video gets a 1080p rung of 1080×1920, as a 1920×1080 one does); a source smaller than the
 * lowest rung still gets that one rung, at its own size so nothing is upscaled.
 */
export const rungsFor = (source: { readonly width: number; readonly height: number }) => {
  const shortSide = Math.min(source.width, source.height)
  const fitting = LADDER.filter((rung) => rung.height <= shortSide)
  return fitting.length > 0 ? fitting : LADDER.slice(0, 1)
}
