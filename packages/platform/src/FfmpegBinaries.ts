// Finds the ffmpeg and ffprobe programs: FFMPEG_PATH / FFPROBE_PATH, else the system's on PATH, else the npm-shipped.
import { execFile } from "node:child_process"
import { statSync } from "node:fs"
import { access, constants } from "node:fs/promises"
import { delimiter, join } from "node:path"
import { Config, Data, Effect, Option } from "effect"

/** Neither the configured, the system's nor the npm-shipped program runs; `reason` lists what was tried. */
export class FfmpegNotFound extends Data.TaggedError("FfmpegNotFound")<{ readonly reason: string }> {}

export interface FfmpegBinaries {
  readonly ffmpeg: string
  readonly ffprobe: string
  /** The first line of `ffmpeg -version`, e.g. `ffmpeg version 5.1.6-0+deb12u1 Copyright (c) …`. */
  readonly version: string
}

type Tool = "ffmpeg" | "ffprobe"

/** The first executable regular file called `name` in the directories of `pathVariable` (a PATH value). */
export const findOnPath = (name: string, pathVariable: string): Effect.Effect<Option.Option<string>> =>
  Effect.promise(async () => {
    for (const directory of pathVariable.split(delimiter)) {
      if (directory === "") continue
      const candidate = join(directory, name)
      try {
        await access(candidate, constants.X_OK)
        if (statSync(candidate).isFile()) return Option.some(candidate)
      } catch {
        // Not in this directory: keep looking.
      }
    }
    return Option.none()
  })

/** Runs `<path> -version` and answers its first line, or why it did not run. */
export const versionOf = (path: string): Effect.Effect<string, string> =>
  Effect.async<string, string>((resume) => {
    execFile(path, ["-version"], { timeout: 10_000, maxBuffer: 1 << 20 }, (error, stdout) => {
      const firstLine = stdout.split("\n")[0]?.trim() ?? ""
      if (error !== null) resume(Effect.fail(error.message))
      else if (firstLine === "") resume(Effect.fail("printed no version"))
      else resume(Effect.succeed(firstLine))
    })
  })

const npmShipped = (tool: Tool): Effect.Effect<string, string> =>
  Effect.tryPromise({
    // The installer packages throw at import when their platform binary is missing, so they load only when needed.
    try: async () =>
      tool === "ffmpeg"
        ? (await import("@ffmpeg-installer/ffmpeg")).default.path
        : (await import("@ffprobe-installer/ffprobe")).default.path,
    catch: (error) => `the npm-shipped ${tool} is not installed for this platform (${String(error)})`
  })

const resolveTool = (tool: Tool, override: Option.Option<string>, pathVariable: string) => {
  const variable = tool === "ffmpeg" ? "FFMPEG_PATH" : "FFPROBE_PATH"
  const runs = (path: string) => versionOf(path).pipe(Effect.map((version) => ({ path, version })))
  if (Option.isSome(override)) {
    // A configured path is a decision: when it does not run, say so rather than silently using another program.
    return runs(override.value).pipe(
      Effect.mapError((why) => new FfmpegNotFound({ reason: `${variable}=${override.value} does not run: ${why}` }))
    )
  }
  const system = findOnPath(tool, pathVariable).pipe(
    Effect.flatMap(
      Option.match({
        onNone: () => Effect.fail(`no ${tool} on PATH`),
        onSome: (path) => runs(path).pipe(Effect.mapError((why) => `${path} does not run: ${why}`))
      })
    )
  )
  const npm = npmShipped(tool).pipe(
    Effect.flatMap((path) => runs(path).pipe(Effect.mapError((why) => `${path} does not run: ${why}`)))
  )
  return system.pipe(
    Effect.catchAll((systemWhy) =>
      npm.pipe(
        Effect.mapError((npmWhy) => new FfmpegNotFound({ reason: `${tool}: ${systemWhy}; ${npmWhy}; set ${variable}` }))
      )
    )
  )
}

/**
 * Resolves each program on its own: `FFMPEG_PATH` / `FFPROBE_PATH` when set (and then only that, failing if it does
 * not run), else the first on `PATH` that answers `-version`, else the `@ffmpeg-installer/ffmpeg` /
 * `@ffprobe-installer/ffprobe` binaries. Reads the variables from the Config provider, so tests can pass their own.
 */
export const resolveFfmpegBinaries: Effect.Effect<FfmpegBinaries, FfmpegNotFound> = Effect.gen(function* () {
  const setting = (name: string) =>
    Config.option(Config.string(name)).pipe(Config.map(Option.filter((value) => value.trim() !== "")))
  const ffmpegPath = yield* Effect.orDie(setting("FFMPEG_PATH"))
  const ffprobePath = yield* Effect.orDie(setting("FFPROBE_PATH"))
  const pathVariable = yield* Effect.orDie(Config.string("PATH").pipe(Config.withDefault("")))
  const [ffmpeg, ffprobe] = yield* Effect.all(
    [resolveTool("ffmpeg", ffmpegPath, pathVariable), resolveTool("ffprobe", ffprobePath, pathVariable)],
    { concurrency: 2 }
  )
  return { ffmpeg: ffmpeg.path, ffprobe: ffprobe.path, version: ffmpeg.version }
})

/** `resolveFfmpegBinaries` run once per process (the first run's outcome, failure included, is kept). */
export const ffmpegBinaries: Effect.Effect<FfmpegBinaries, FfmpegNotFound> = Effect.runSync(
  Effect.cached(resolveFfmpegBinaries)
)
