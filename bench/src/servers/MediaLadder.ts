// The transcode baselines: the Transcoder's own single-pass ffmpeg command for a probe, and the per-rendition way
// (one ffmpeg per rung, each decoding the source) built from the same command, run at the same niceness.
import { spawn } from "node:child_process"
import { mkdir } from "node:fs/promises"
import { join } from "node:path"
import type { Probe } from "@lectern/platform/Transcoder"
import {
  type FfmpegTranscoder,
  OUTPUT_FILES,
  planTranscode,
  setGroupNiceness,
  type TranscodePlan,
  transcodeArgs,
  type X264Preset
} from "@lectern/platform/TranscoderFfmpeg"
import { Effect } from "effect"

/** The single-pass command no longer has the shape the per-rendition commands are cut from. */
export class LadderShapeChanged extends Error {
  override readonly name = "LadderShapeChanged"
}

/** The plan the Transcoder makes for `probe` when no rung can be copied (the bench's source is built so). */
export const planFor = (
  input: string,
  outputDir: string,
  probe: Probe,
  settings: { readonly threads: number; readonly preset: X264Preset }
): TranscodePlan => planTranscode(input, outputDir, probe, settings, undefined)

/** The command line (after the program) Lectern's Transcoder runs for `plan`: one decode, every rung, poster, sprite. */
export const singlePassArgs = (plan: TranscodePlan): Array<string> => transcodeArgs(plan)

/**
 * One command line per rung, lowest first, each decoding the source: the single-pass command of a one-rung plan, so
 * the rung's scaler and encoder options are the Transcoder's own. The poster and sprite stay on the last (top) rung's
 * command, as one more output each, exactly as in the single pass; the other commands lose them and their filter
 * graph shrinks to the rung's scaler.
 */
export const perRenditionArgs = (plan: TranscodePlan): Array<Array<string>> =>
  plan.rungs.map((rung, index) => {
    const args = transcodeArgs({ ...plan, rungs: [rung] })
    if (index === plan.rungs.length - 1) return args
    const graphAt = args.indexOf("-filter_complex") + 1
    const scaleLabel = `[r${rung.name}]`
    const scaler = args[graphAt]?.split(";").find((part) => part.startsWith(scaleLabel))
    const postersAt = args.findIndex((arg, i) => arg === "-map" && args[i + 1] === "[posterout]")
    if (graphAt === 0 || scaler === undefined || postersAt < 0) {
      throw new LadderShapeChanged(`cannot cut the ${rung.name} command from: ${args.join(" ")}`)
    }
    const fps = plan.reduceFrameRate ? `fps=${plan.frameRate},` : ""
    const graph = `[0:v:0]${fps}${scaler.slice(scaleLabel.length)}`
    return [...args.slice(0, graphAt), graph, ...args.slice(graphAt + 1, postersAt)]
  })

/** Creates the rung directories the HLS muxer writes into, as the Transcoder does before running ffmpeg. */
export const prepareOutput = (plan: TranscodePlan) =>
  Promise.all(plan.rungs.map((rung) => mkdir(join(plan.outputDir, rung.name), { recursive: true })))

export class FfmpegFailed extends Error {
  override readonly name = "FfmpegFailed"
}

/**
 * Runs `ffmpeg args` the way the Transcoder starts it (`wrap`: setpriv, chrt --idle, nice as configured, in a
 * session of its own whose scheduling group gets the same nice), its progress lines on stdout read and dropped like
 * the Transcoder reads them; resolves when it exited 0.
 */
export const runFfmpeg = (wrap: FfmpegTranscoder["command"], ffmpeg: string, args: ReadonlyArray<string>) =>
  new Promise<void>((resolve, reject) => {
    const wrapped = wrap(ffmpeg, args)
    const child = spawn(wrapped.command, [...wrapped.args], { detached: true, stdio: ["ignore", "pipe", "pipe"] })
    if (child.pid !== undefined && wrapped.groupNiceness !== undefined && wrapped.groupNiceness > 0) {
      Effect.runFork(setGroupNiceness(child.pid, wrapped.groupNiceness))
    }
    let stderr = ""
    child.stdout.resume()
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4096)
    })
    child.once("error", reject)
    child.once("close", (code, signal) =>
      code === 0
        ? resolve()
        : reject(
            new FfmpegFailed(`ffmpeg ${signal === null ? `exited with ${code}` : `was killed by ${signal}`}: ${stderr}`)
          )
    )
  })

/** The files a ladder run must leave: every rung's playlist, the poster and the sprite. */
export const expectedOutputs = (plan: TranscodePlan): ReadonlyArray<string> => [
  ...plan.rungs.map((rung) => OUTPUT_FILES.playlist(rung.name)),
  OUTPUT_FILES.poster,
  OUTPUT_FILES.sprite
]
