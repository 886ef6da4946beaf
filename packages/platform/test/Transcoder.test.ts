// The Transcoder contract on FFmpeg and in memory, plus FFmpeg's output checked by independent tools, hostile inputs,
// timeouts, interruption, codec copy and how the programs are found.
import { execFile } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { availableParallelism, tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { FfmpegNotFound, resolveFfmpegBinaries } from "@lectern/platform/FfmpegBinaries"
import { layerImageRendererFromConfig } from "@lectern/platform/ImageRendererFfmpeg"
import { LADDER, type Probe, rungsFor, type TranscodeResult, Transcoder } from "@lectern/platform/Transcoder"
import {
  avcCodecString,
  groupNiceness,
  h264Level,
  h264ParametersOf,
  keyframesOnSegmentGrid,
  layerFfmpeg,
  layerFfmpegFromConfig,
  makeFfmpeg,
  parseFrameRate,
  parseHexDump,
  parseProgressLine,
  probeArgs,
  rungDimensions,
  sniffRefusal,
  spritePlan,
  startProcess,
  thumbnailsVtt
} from "@lectern/platform/TranscoderFfmpeg"
import { grayJpeg, layerMemory, writeFixtureSource } from "@lectern/platform/TranscoderMemory"
import { eventually } from "@lectern/testkit/SuiteSupport"
import {
  jpegSize,
  parseM3u8,
  parseThumbnailsVtt,
  type SourceSpec,
  SUITE_LIMITS,
  transcoderSuite
} from "@lectern/testkit/TranscoderSuite"
import { ConfigProvider, Effect, type Either, Fiber, Layer } from "effect"

/** Runs a program to its end: its stdout and exit code (stderr appended to failures' messages). */
const run = (command: string, args: ReadonlyArray<string>) =>
  Effect.async<{ readonly stdout: string; readonly stderr: string; readonly code: number }>((resume) => {
    execFile(command, [...args], { maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1
      resume(Effect.succeed({ stdout, stderr, code }))
    })
  })

const ffmpeg = (args: ReadonlyArray<string>) =>
  run("ffmpeg", ["-nostdin", "-v", "error", "-y", ...args]).pipe(
    Effect.filterOrDieMessage((result) => result.code === 0, `ffmpeg ${args.join(" ")} failed`)
  )

/** A test pattern (and a tone when `audio`) encoded fast, as an uploaded file would be. */
const lavfiSource = (path: string, spec: SourceSpec, video: ReadonlyArray<string> = ["-preset", "ultrafast"]) =>
  ffmpeg([
    "-f",
    "lavfi",
    "-i",
    `testsrc2=s=${spec.width}x${spec.height}:r=${spec.frameRate}`,
    ...(spec.audio ? ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"] : []),
    "-t",
    String(spec.seconds),
    "-c:v",
    "libx264",
    "-pix_fmt",
    "yuv420p",
    ...video,
    ...(spec.audio ? ["-c:a", "aac", "-b:a", "96k"] : []),
    path
  ])

const limits = SUITE_LIMITS

transcoderSuite("ffmpeg", layerFfmpeg(), { make: lavfiSource })
transcoderSuite("memory", layerMemory, {
  make: (path, spec) =>
    writeFixtureSource(path, {
      width: spec.width,
      height: spec.height,
      durationSeconds: spec.seconds,
      audio: spec.audio,
      frameRate: spec.frameRate
    })
})

const root = mkdtempSync(join(tmpdir(), "lectern-transcoder-test-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let counter = 0
const fresh = (label: string) => join(root, `${++counter}-${label}`)
const freshDir = (label: string) => {
  const dir = fresh(label)
  mkdirSync(dir)
  return dir
}

const ffmpegLayer = layerFfmpeg()
const withFfmpeg = <A, E>(effect: Effect.Effect<A, E, Transcoder>) => Effect.provide(effect, ffmpegLayer)

/** The 4 s 1080p source with sound at 29.97 fps, made once for the tests that need a long-enough transcode. */
const source1080 = Effect.runSync(
  Effect.cached(
    Effect.gen(function* () {
      const path = `${fresh("source-1080")}.mp4`
      yield* ffmpeg([
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=1920x1080:r=30000/1001",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000",
        "-t",
        "4",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        path
      ])
      return path
    })
  )
)

const transcodeToDir = (input: string, probe: Probe, label: string) =>
  Effect.gen(function* () {
    const transcoder = yield* Transcoder
    const dir = freshDir(label)
    const result = yield* transcoder.transcode(input, dir, {
      probe,
      timeout: "50 seconds",
      onProgress: () => Effect.void
    })
    return { dir, result }
  })

const ffprobeJson = (args: ReadonlyArray<string>) =>
  run("ffprobe", ["-v", "error", "-print_format", "json", ...args]).pipe(
    Effect.map((result) => JSON.parse(result.stdout) as { streams: Array<Record<string, unknown>> })
  )

/** Keyframe times of a rendition (decoding keyframes only), relative to its first. */
const keyframeTimes = (playlist: string) =>
  run("ffprobe", [
    "-v",
    "error",
    "-select_streams",
    "v:0",
    "-skip_frame",
    "nokey",
    "-show_entries",
    "frame=pts_time",
    "-of",
    "csv=p=0",
    playlist
  ]).pipe(
    Effect.map(({ stdout }) => {
      const times = stdout
        .split("\n")
        .map((line) => Number.parseFloat(line))
        .filter(Number.isFinite)
      return times.map((time) => time - (times[0] ?? 0))
    })
  )

/** The RFC 6381 codec of the H.264 in `file`, read from its parameter sets. */
const codecOfFile = (file: string) =>
  ffprobeJson(["-select_streams", "v:0", "-show_streams", "-show_data", file]).pipe(
    Effect.map((output) => {
      const parameters = h264ParametersOf(parseHexDump(String(output.streams[0]?.extradata ?? "")))
      return parameters && avcCodecString(parameters.profileIdc, parameters.constraints, parameters.levelIdc)
    })
  )

/** Pids of live processes whose command line mentions `needle` (and whose program is `program`, when given). */
const processesMentioning = (needle: string, program?: string) =>
  readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const commandLine = readFileSync(`/proc/${pid}/cmdline`, "utf8")
        return commandLine.includes(needle) && (program === undefined || commandLine.split("\0")[0]?.endsWith(program))
      } catch {
        return false
      }
    })
    .map(Number)

const checkAlignedRenditions = (dir: string, result: TranscodeResult) =>
  Effect.gen(function* () {
    const keyframes = yield* Effect.forEach(result.renditions, (rendition) =>
      keyframeTimes(join(dir, rendition.playlist))
    )
    const reference = keyframes[0] ?? []
    expect(reference.length).toBeGreaterThan(1)
    for (const [index, time] of reference.entries()) expect(Math.abs(time - index * 2)).toBeLessThan(0.04)
    for (const times of keyframes) {
      expect(times.length).toBe(reference.length)
      for (const [index, time] of times.entries()) expect(Math.abs(time - (reference[index] ?? 0))).toBeLessThan(0.002)
    }
  })

describe("FFmpeg transcoder output, checked with ffprobe and m3u8-parser", () => {
  it.live(
    "writes H.264/AAC renditions of the right size, ≤ 2 s segments adding up to the source, aligned keyframes",
    () =>
      withFfmpeg(
        Effect.gen(function* () {
          const transcoder = yield* Transcoder
          const input = yield* source1080
          const probe = yield* transcoder.probe(input, limits)
          expect(probe.video.frameRate).toBeCloseTo(30000 / 1001, 5)
          const { dir, result } = yield* transcodeToDir(input, probe, "full")
          expect(result.renditions.map((r) => r.name)).toEqual(["360p", "720p", "1080p"])
          expect(result.renditions.every((r) => !r.copied)).toBe(true)

          const master = yield* parseM3u8(readFileSync(join(dir, result.masterPlaylist), "utf8"))
          for (const [index, rendition] of result.renditions.entries()) {
            const playlist = join(dir, rendition.playlist)
            const streams = (yield* ffprobeJson([
              "-show_entries",
              "stream=codec_type,codec_name,width,height",
              playlist
            ])).streams
            expect(streams).toContainEqual({
              codec_type: "video",
              codec_name: "h264",
              width: rendition.width,
              height: rendition.height
            })
            expect(streams).toContainEqual({ codec_type: "audio", codec_name: "aac" })

            const attributes = master.playlists?.[index]?.attributes ?? {}
            expect(attributes.BANDWIDTH).toBeGreaterThan(0)
            expect(attributes.RESOLUTION).toEqual({ width: rendition.width, height: rendition.height })
            const media = yield* parseM3u8(readFileSync(playlist, "utf8"))
            const firstSegment = join(dir, rendition.playlist, "..", media.segments[0]?.uri ?? "")
            // CODECS names what is really in the segments: profile, constraint flags and level from the SPS.
            expect(attributes.CODECS).toBe(`${yield* codecOfFile(firstSegment)},mp4a.40.2`)
            for (const segment of media.segments) expect(segment.duration).toBeLessThanOrEqual(2.1)
            const total = media.segments.reduce((sum, segment) => sum + segment.duration, 0)
            expect(Math.abs(total - probe.durationSeconds)).toBeLessThanOrEqual(0.1)
            // Peak stays near the rung's cap (1.3× target + audio), allowing for MPEG-TS overhead.
            const rung = LADDER.find((r) => r.name === rendition.name)
            expect(rendition.bandwidth).toBeLessThanOrEqual(((rung?.bitRate ?? 0) * 1.3 + 128_000) * 1.25)
          }
          yield* checkAlignedRenditions(dir, result)

          expect(jpegSize(readFileSync(join(dir, result.poster)))).toEqual({ width: 1920, height: 1080 })
          const plan = spritePlan(probe.durationSeconds, probe.video.frameRate, 1920, 1080)
          expect(jpegSize(readFileSync(join(dir, result.thumbnailsSprite)))).toEqual({
            width: plan.columns * 160,
            height: plan.rows * 90
          })
          expect(parseThumbnailsVtt(readFileSync(join(dir, result.thumbnailsVtt), "utf8")).length).toBe(plan.count)
        })
      ),
    60_000
  )

  it.live("copies a compliant H.264 rung (2 s keyframes, within the cap) and re-encodes the others", () =>
    withFfmpeg(
      Effect.gen(function* () {
        const transcoder = yield* Transcoder
        const gop = ["-g", "60", "-keyint_min", "60", "-sc_threshold", "0"]
        const rate = ["-b:v", "1500k", "-maxrate", "2000k", "-bufsize", "3000k"]
        const compliant = `${fresh("copy-720")}.mp4`
        const spec = { width: 1280, height: 720, seconds: 4, frameRate: 30, audio: false }
        yield* lavfiSource(compliant, spec, ["-preset", "veryfast", "-profile:v", "high", ...rate, ...gop])
        const probe = yield* transcoder.probe(compliant, limits)
        const { dir, result } = yield* transcodeToDir(compliant, probe, "copy")
        expect(result.renditions.map((r) => [r.name, r.copied])).toEqual([
          ["360p", false],
          ["720p", true]
        ])
        expect(result.renditions[1]?.codecs).toBe(yield* codecOfFile(compliant))
        yield* checkAlignedRenditions(dir, result)

        // Keyframes 5 s apart would make 5 s segments: that rung is re-encoded.
        const sparse = `${fresh("sparse-keyframes")}.mp4`
        yield* lavfiSource(sparse, spec, ["-preset", "ultrafast", ...rate, "-g", "150", "-sc_threshold", "0"])
        const sparseProbe = yield* transcoder.probe(sparse, limits)
        const reencoded = yield* transcodeToDir(sparse, sparseProbe, "no-copy")
        expect(reencoded.result.renditions.map((r) => r.copied)).toEqual([false, false])
      })
    )
  )
})

describe("FFmpeg transcoder refusals", () => {
  it.live("refuses playlists, concat scripts, AVI-wrapped playlists, programs, text and empty files", () =>
    withFfmpeg(
      Effect.gen(function* () {
        const transcoder = yield* Transcoder
        const segment = `${fresh("segment")}.ts`
        yield* ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=160x120:r=10", "-t", "1", "-c:v", "libx264", segment])
        const hls = `${fresh("playlist")}.mp4`
        writeFileSync(hls, `#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n${segment}\n#EXT-X-ENDLIST\n`)
        const concat = `${fresh("concat")}.mp4`
        writeFileSync(concat, "ffconcat version 1.0\nfile /etc/passwd\n")
        const exploit =
          "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\n" +
          "concat:file:///etc/passwd|subfile,,start,0,end,1000,,:/dev/null\n#EXT-X-ENDLIST\n"
        const avi = (padding: number) => {
          const u32 = (value: number) => {
            const bytes = Buffer.alloc(4)
            bytes.writeUInt32LE(value)
            return bytes
          }
          const movi = Buffer.concat([Buffer.from("movi"), Buffer.alloc(padding), Buffer.from(exploit)])
          const body = Buffer.concat([Buffer.from("AVI LIST"), u32(movi.length), movi])
          return Buffer.concat([Buffer.from("RIFF"), u32(body.length), body])
        }
        const aviNear = `${fresh("exploit")}.avi`
        writeFileSync(aviNear, avi(0))
        const aviFar = `${fresh("exploit-deep")}.avi`
        writeFileSync(aviFar, avi(200_000))
        const text = `${fresh("text")}.mp4`
        writeFileSync(text, "Just some words, nothing else. Ünïcödé too.\n")
        const program = `${fresh("ls")}.mp4`
        writeFileSync(program, readFileSync("/bin/ls"))
        const empty = `${fresh("empty")}.mp4`
        writeFileSync(empty, "")
        const audioOnly = `${fresh("audio")}.m4a`
        yield* ffmpeg(["-f", "lavfi", "-i", "sine", "-t", "1", "-c:a", "aac", audioOnly])
        const mp3 = `${fresh("audio")}.mp3`
        yield* ffmpeg(["-f", "lavfi", "-i", "sine", "-t", "1", mp3])

        // Unguarded, ffprobe really would follow the playlist: the refusals below are the guards' doing.
        const unguarded = yield* run("ffprobe", [
          "-v",
          "error",
          "-show_entries",
          "format=format_name",
          "-of",
          "csv=p=0",
          hls
        ])
        expect(unguarded.stdout.trim()).toBe("hls")

        const reasons = yield* Effect.forEach(
          [hls, concat, aviNear, aviFar, text, program, empty, audioOnly, mp3],
          (path) =>
            Effect.flip(transcoder.probe(path, limits)).pipe(
              Effect.map((error) => (error._tag === "InvalidMedia" ? error.reason : `${error._tag}: ${error.reason}`))
            )
        )
        expect(reasons).toEqual([
          "it is an HLS playlist, not a video file",
          "it is an FFmpeg concat script, not a video file",
          "it contains an HLS playlist, which could make FFmpeg read other files",
          "it contains an HLS playlist, which could make FFmpeg read other files",
          "it is a text file, not a video file",
          "it is a program (ELF executable), not a video file",
          "the file is empty",
          "it has no video track",
          "its format is not a video container we accept"
        ])

        // Behind the sniffing, ffprobe's own whitelists refuse the playlist and the script before opening anything.
        for (const path of [hls, concat]) {
          const guarded = yield* run("ffprobe", probeArgs(path))
          expect(guarded.code).not.toBe(0)
          expect(guarded.stderr).toContain("not on whitelist")
        }
      })
    )
  )

  it.live("reports display size: a stored-landscape clip turned a quarter is probed as portrait", () =>
    withFfmpeg(
      Effect.gen(function* () {
        const transcoder = yield* Transcoder
        const stored = `${fresh("stored")}.mp4`
        yield* lavfiSource(stored, { width: 320, height: 240, seconds: 1, frameRate: 10, audio: false })
        // FFmpeg 5.1 no longer writes a `rotate` tag, so set the track header's matrix to a quarter turn by hand.
        const bytes = readFileSync(stored)
        const matrix = bytes.indexOf("tkhd") - 4 + 48
        for (const [index, value] of [0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000].entries()) {
          bytes.writeInt32BE(value, matrix + index * 4)
        }
        const turned = `${fresh("turned")}.mp4`
        writeFileSync(turned, bytes)
        expect((yield* transcoder.probe(stored, limits)).video).toMatchObject({ width: 320, height: 240 })
        expect((yield* transcoder.probe(turned, limits)).video).toMatchObject({ width: 240, height: 320 })
      })
    )
  )
})

describe("FFmpeg transcoder processes", () => {
  it.live("kills ffmpeg and fails with TranscodeFailed when the timeout passes", () =>
    withFfmpeg(
      Effect.gen(function* () {
        const transcoder = yield* Transcoder
        const input = yield* source1080
        const probe = yield* transcoder.probe(input, limits)
        const dir = freshDir("timeout")
        const error = yield* Effect.flip(
          transcoder.transcode(input, dir, { probe, timeout: "300 millis", onProgress: () => Effect.void })
        )
        expect(error).toMatchObject({ _tag: "TranscodeFailed", reason: "timed out after 300ms" })
        expect(processesMentioning(dir)).toEqual([])
      })
    )
  )

  it.live("fails with TranscodeFailed, the exit code and stderr's tail when ffmpeg fails", () =>
    withFfmpeg(
      Effect.gen(function* () {
        const transcoder = yield* Transcoder
        const probe = yield* transcoder.probe(yield* source1080, limits)
        const missing = join(root, "vanished-after-probe.mp4")
        const error = yield* Effect.flip(
          transcoder.transcode(missing, freshDir("failed"), {
            probe,
            timeout: "50 seconds",
            onProgress: () => Effect.void
          })
        )
        expect(error).toMatchObject({ _tag: "TranscodeFailed", reason: "ffmpeg exited with code 1" })
        expect(error.stderr).toContain("No such file or directory")
      })
    )
  )

  it.live(
    "kills ffmpeg when the transcode is interrupted, and runs it niced, in a nice-19 group, with the thread cap",
    () =>
      withFfmpeg(
        Effect.gen(function* () {
          const transcoder = yield* Transcoder
          const input = yield* source1080
          const probe = yield* transcoder.probe(input, limits)
          const dir = freshDir("interrupted")
          const fiber = yield* Effect.fork(
            transcoder.transcode(input, dir, { probe, timeout: "50 seconds", onProgress: () => Effect.void })
          )
          // Until `nice` has exec'd ffmpeg, the command line is nice's.
          yield* eventually(
            "ffmpeg started",
            Effect.sync(() => processesMentioning(dir, "/ffmpeg").length > 0)
          )
          const [pid] = processesMentioning(dir, "/ffmpeg")
          const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
          // Field 19 (after the parenthesised command) is the nice value.
          expect(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]).toBe("10")
          // Its session's scheduling group is at nice 19 (SCHED_IDLE's), not level with the one serving requests.
          yield* eventually(
            "ffmpeg's group at nice 19",
            Effect.sync(() => /nice 19$/.test(readFileSync(`/proc/${pid}/autogroup`, "utf8").trim()))
          )
          const ownGroup = readFileSync("/proc/self/autogroup", "utf8").split(" ")[0]
          expect(readFileSync(`/proc/${pid}/autogroup`, "utf8").split(" ")[0]).not.toBe(ownGroup)
          const commandLine = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")
          expect(commandLine[commandLine.indexOf("-threads") + 1]).toBe(String(Math.max(1, availableParallelism() - 1)))
          yield* Fiber.interrupt(fiber)
          expect(existsSync(`/proc/${pid}`)).toBe(false)
        })
      )
  )
})

describe("FFmpeg programs and settings", () => {
  const resolveWith = (entries: ReadonlyArray<readonly [string, string]>) =>
    resolveFfmpegBinaries.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(entries))))
  const npm = Effect.promise(async () => ({
    ffmpeg: (await import("@ffmpeg-installer/ffmpeg")).default.path,
    ffprobe: (await import("@ffprobe-installer/ffprobe")).default.path
  }))

  it.live("takes FFMPEG_PATH first, then the system's programs, then the npm-shipped ones", () =>
    Effect.gen(function* () {
      const shipped = yield* npm
      const system = yield* resolveWith([["PATH", "/usr/local/bin:/usr/bin:/bin"]])
      expect(system).toMatchObject({ ffmpeg: "/usr/bin/ffmpeg", ffprobe: "/usr/bin/ffprobe" })
      expect(system.version).toMatch(/^ffmpeg version 5\.1/)

      const configured = yield* resolveWith([
        ["PATH", "/usr/bin:/bin"],
        ["FFMPEG_PATH", shipped.ffmpeg]
      ])
      expect(configured).toMatchObject({ ffmpeg: shipped.ffmpeg, ffprobe: "/usr/bin/ffprobe" })
      expect(configured.version).toMatch(/^ffmpeg version /)
      expect(configured.version).not.toBe(system.version)

      const emptyPath = freshDir("empty-path")
      expect(yield* resolveWith([["PATH", emptyPath]])).toMatchObject(shipped)

      const broken = yield* Effect.flip(resolveWith([["FFMPEG_PATH", join(emptyPath, "no-such-ffmpeg")]]))
      expect(broken).toBeInstanceOf(FfmpegNotFound)
      expect(broken.reason).toMatch(/^FFMPEG_PATH=.*no-such-ffmpeg does not run/)
    })
  )

  it.live("starts ffmpeg under SCHED_IDLE and nice unless told otherwise", () =>
    Effect.gen(function* () {
      const idle = yield* makeFfmpeg({ niceness: 7 })
      const started = idle.command("/usr/bin/ffmpeg", ["-version"])
      const line = [started.command, ...started.args].join(" ")
      expect(line).toMatch(/chrt --idle 0 \S*nice -n 7 \/usr\/bin\/ffmpeg -version$/)
      expect(started.groupNiceness).toBe(19)
      const normal = yield* makeFfmpeg({ niceness: 0, idlePriority: false })
      const plain = normal.command("/usr/bin/ffmpeg", ["-version"])
      expect([plain.command, ...plain.args].join(" ")).not.toMatch(/chrt|nice/)
      expect(plain.groupNiceness).toBe(0)
      expect((yield* makeFfmpeg({ niceness: 5, idlePriority: false })).command("x", []).groupNiceness).toBe(5)
      expect(groupNiceness({ idlePriority: true, niceness: 0 })).toBe(19)
      // Pinned to CPUs when asked.
      const pinnedTranscoder = yield* makeFfmpeg({ niceness: 0, idlePriority: false, cpus: "0" })
      const pinned = pinnedTranscoder.command("/usr/bin/ffmpeg", ["-version"])
      expect([pinned.command, ...pinned.args].join(" ")).toMatch(/taskset -c 0 \/usr\/bin\/ffmpeg -version$/)
      const affinity = pinnedTranscoder.command("/bin/sh", ["-c", "taskset -p $$"])
      expect((yield* run(affinity.command, [...affinity.args])).stdout).toMatch(/affinity mask: 1$/m)
      // The policy really applies: a child started this way reports SCHED_IDLE.
      const probe = idle.command("/usr/bin/chrt", ["-p", "0"])
      const policy = yield* run(probe.command, [...probe.args])
      expect(policy.stdout).toMatch(/SCHED_IDLE/)
    })
  )

  it.live("gives a started program's own scheduling group (Linux autogroup) the nice asked for", () =>
    Effect.gen(function* () {
      const autogroupOf = (pid: number | undefined) => readFileSync(`/proc/${pid}/autogroup`, "utf8").trim()
      const own = autogroupOf(process.pid)
      const lowered = yield* Effect.scoped(
        Effect.map(startProcess("/bin/sleep", ["30"], { groupNiceness: 7 }), (running) => autogroupOf(running.pid))
      )
      expect(lowered).toMatch(/^\/autogroup-\d+ nice 7$/)
      expect(lowered.split(" ")[0]).not.toBe(own.split(" ")[0])
      const left = yield* Effect.scoped(
        Effect.map(startProcess("/bin/sleep", ["30"]), (running) => autogroupOf(running.pid))
      )
      expect(left).toMatch(/ nice 0$/)
      // Ours is untouched.
      expect(autogroupOf(process.pid)).toBe(own)
    })
  )

  it.live(
    "reads TRANSCODE_THREADS, TRANSCODE_NICE, TRANSCODE_IDLE_PRIORITY and TRANSCODE_PRESET, refusing bad values; the ImageRenderer the same priority settings",
    () =>
      Effect.gen(function* () {
        const build = <A, E>(
          layer: Layer.Layer<A, E>,
          entries: ReadonlyArray<readonly [string, string]>
        ): Effect.Effect<Either.Either<unknown, E>> =>
          Layer.build(layer).pipe(
            Effect.scoped,
            Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["PATH", process.env.PATH ?? ""], ...entries]))),
            Effect.either
          )
        const good = [
          ["TRANSCODE_THREADS", "2"],
          ["TRANSCODE_NICE", "5"],
          ["TRANSCODE_IDLE_PRIORITY", "false"],
          ["TRANSCODE_PRESET", "faster"]
        ] as const
        expect((yield* build(layerFfmpegFromConfig, good))._tag).toBe("Right")
        expect((yield* build(layerImageRendererFromConfig, good))._tag).toBe("Right")
        const priority = [
          ["TRANSCODE_NICE", "25"],
          ["TRANSCODE_IDLE_PRIORITY", "sometimes"],
          ["TRANSCODE_CPUS", "first"]
        ] as const
        for (const bad of [["TRANSCODE_THREADS", "0"], ["TRANSCODE_PRESET", "lightspeed"], ...priority] as const) {
          expect((yield* build(layerFfmpegFromConfig, [bad]))._tag, bad.join("=")).toBe("Left")
        }
        for (const bad of priority) {
          expect((yield* build(layerImageRendererFromConfig, [bad]))._tag, bad.join("=")).toBe("Left")
        }
      })
  )
})

describe("In-memory transcoder", () => {
  it.live("writes JPEGs ffmpeg decodes at the size they claim, and refuses real videos", () =>
    Effect.gen(function* () {
      const jpeg = `${fresh("gray")}.jpg`
      writeFileSync(jpeg, grayJpeg(330, 90))
      const decoded = yield* ffprobeJson(["-show_entries", "stream=width,height", jpeg])
      expect(decoded.streams[0]).toEqual({ width: 330, height: 90 })
      const pixels = yield* run("ffmpeg", ["-v", "error", "-i", jpeg, "-f", "rawvideo", "-pix_fmt", "gray", "-"])
      expect(pixels.code).toBe(0)

      const real = `${fresh("real")}.mp4`
      yield* lavfiSource(real, { width: 160, height: 120, seconds: 1, frameRate: 10, audio: false })
      const transcoder = yield* Transcoder
      const error = yield* Effect.flip(transcoder.probe(real, limits))
      expect(error).toMatchObject({
        _tag: "InvalidMedia",
        reason: "it is not a fixture video (see writeFixtureSource)"
      })
    }).pipe(Effect.provide(layerMemory))
  )
})

describe("Transcoder helpers", () => {
  it("parses frame rates", () => {
    expect(parseFrameRate("30000/1001")).toBeCloseTo(29.97, 2)
    expect(parseFrameRate("25/1")).toBe(25)
    expect(parseFrameRate("24")).toBe(24)
    expect(parseFrameRate("0/0")).toBeUndefined()
    expect(parseFrameRate("N/A")).toBeUndefined()
    expect(parseFrameRate(undefined)).toBeUndefined()
  })

  it("sniffs what is not a video", () => {
    const bytes = (text: string) => new TextEncoder().encode(text)
    expect(sniffRefusal(new Uint8Array())).toBe("the file is empty")
    expect(sniffRefusal(bytes("#EXTM3U\n"))).toMatch(/HLS playlist/)
    expect(sniffRefusal(bytes("ffconcat version 1.0\n"))).toMatch(/concat script/)
    expect(sniffRefusal(bytes("#!/bin/sh\nrm -rf /\n"))).toMatch(/script/)
    expect(sniffRefusal(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]))).toMatch(/ELF/)
    expect(sniffRefusal(bytes("MZ\x90\x00"))).toMatch(/Windows program/)
    expect(sniffRefusal(bytes("<svg xmlns='http://www.w3.org/2000/svg'/>"))).toMatch(/text file/)
    expect(sniffRefusal(new Uint8Array([0xff, 0xfe, 0x41, 0x00]))).toMatch(/text file/)
    // A multi-byte character cut by the end of the sample is still text.
    expect(sniffRefusal(new Uint8Array([...bytes("héllo "), 0xc3]))).toMatch(/text file/)
    expect(sniffRefusal(new Uint8Array([0, 0, 0, 0x20, ...bytes("ftypisom")]))).toBeUndefined()
    expect(sniffRefusal(new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 0x9f]))).toBeUndefined()
  })

  it("chooses H.264 levels and writes codec strings", () => {
    expect(h264Level(640, 360, 30, 1_040_000, "main")).toBe(30)
    expect(h264Level(1280, 720, 30, 2_600_000, "high")).toBe(31)
    expect(h264Level(1920, 1080, 30000 / 1001, 5_200_000, "high")).toBe(40)
    expect(h264Level(1920, 1080, 60, 5_200_000, "high")).toBe(42)
    expect(avcCodecString(0x64, 0, 40)).toBe("avc1.640028")
    expect(avcCodecString(0x4d, 0x40, 30)).toBe("avc1.4d401e")
    const avcC = "\n00000000: 0164 001f ffe1 001a 6764 001f acd9 40a0  .d......gd....@.\n"
    expect(h264ParametersOf(parseHexDump(avcC))).toEqual({ profileIdc: 0x64, constraints: 0, levelIdc: 0x1f })
    const annexB = "\n00000000: 0000 0167 4d40 1eec a050 17fc b808 8000  ...gM@...P......\n"
    expect(h264ParametersOf(parseHexDump(annexB))).toEqual({ profileIdc: 0x4d, constraints: 0x40, levelIdc: 0x1e })
  })

  it("sizes rungs by the short side without upscaling, and keeps dimensions even", () => {
    expect(rungDimensions({ width: 1920, height: 1080 }, 720)).toEqual({ width: 1280, height: 720 })
    expect(rungDimensions({ width: 854, height: 480 }, 360)).toEqual({ width: 640, height: 360 })
    expect(rungDimensions({ width: 320, height: 241 }, 360)).toEqual({ width: 318, height: 240 })
    // Portrait: the rung is the short side, as for landscape.
    expect(rungDimensions({ width: 1080, height: 1920 }, 1080)).toEqual({ width: 1080, height: 1920 })
    expect(rungDimensions({ width: 1080, height: 1920 }, 360)).toEqual({ width: 360, height: 640 })
    expect(rungDimensions({ width: 241, height: 320 }, 360)).toEqual({ width: 240, height: 318 })
    expect(rungsFor({ width: 1080, height: 1920 }).map((rung) => rung.name)).toEqual(["360p", "720p", "1080p"])
    expect(rungsFor({ width: 720, height: 1280 }).map((rung) => rung.name)).toEqual(["360p", "720p"])
    expect(rungsFor({ width: 1920, height: 1080 }).map((rung) => rung.name)).toEqual(["360p", "720p", "1080p"])
    expect(rungsFor({ width: 480, height: 854 }).map((rung) => rung.name)).toEqual(["360p"])
    expect(rungsFor({ width: 240, height: 320 }).map((rung) => rung.name)).toEqual(["360p"])
  })

  it("accepts copied keyframes only on the 2-second grid", () => {
    const frames = (keys: ReadonlyArray<number>, seconds = 6, rate = 30) =>
      Array.from({ length: seconds * rate }, (_, n) => ({ pts: 1.4 + n / rate, key: keys.includes(n) }))
    expect(keyframesOnSegmentGrid(frames([0, 60, 120]))).toBe(true)
    expect(keyframesOnSegmentGrid(frames([0, 30, 60, 90, 120, 150]))).toBe(true)
    expect(keyframesOnSegmentGrid(frames([0, 59, 120]))).toBe(false)
    expect(keyframesOnSegmentGrid(frames([0, 150]))).toBe(false)
    expect(keyframesOnSegmentGrid(frames([60, 120]))).toBe(false)
    expect(keyframesOnSegmentGrid([])).toBe(false)
  })

  it("maps sprite tiles to time ranges in WebVTT", () => {
    const plan = spritePlan(25, 30, 1920, 1080)
    expect(plan).toEqual({ intervalSeconds: 2, count: 13, columns: 10, rows: 2, tileWidth: 160, tileHeight: 90 })
    const vtt = thumbnailsVtt(plan, 25, "thumbnails.jpg")
    expect(vtt).toContain("00:00:00.000 --> 00:00:02.000\nthumbnails.jpg#xywh=0,0,160,90\n")
    expect(vtt).toContain("00:00:20.000 --> 00:00:22.000\nthumbnails.jpg#xywh=0,90,160,90\n")
    expect(vtt.trimEnd().endsWith("00:00:24.000 --> 00:00:25.000\nthumbnails.jpg#xywh=320,90,160,90")).toBe(true)
    expect(spritePlan(3600, 30, 1920, 1080)).toMatchObject({ intervalSeconds: 36, count: 100, rows: 10 })
  })

  it("reads progress lines", () => {
    expect(parseProgressLine("out_time_us=2500000")).toBe(2.5)
    expect(parseProgressLine("out_time_ms=1000000")).toBe(1)
    expect(parseProgressLine("out_time_us=N/A")).toBeUndefined()
    expect(parseProgressLine("progress=continue")).toBeUndefined()
  })
})
