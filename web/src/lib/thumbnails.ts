// The seek bar's preview images: a WebVTT thumbnail track whose cues name sprite regions (`sprite.jpg#xywh=x,y,w,h`).

export interface Thumbnail {
  readonly start: number
  readonly end: number
  /** The sprite image, absolute. */
  readonly url: string
  readonly x: number
  readonly y: number
  readonly width: number
  readonly height: number
}

/** `01:02:03.456`, `02:03.456` → seconds; NaN when not a timestamp. */
export const vttSeconds = (stamp: string) => {
  const match = /^(?:(\d+):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?$/.exec(stamp.trim())
  if (match === null) return Number.NaN
  const [, hours, minutes, seconds, fraction] = match
  return (
    Number(hours ?? 0) * 3600 + Number(minutes) * 60 + Number(seconds) + Number(`0.${(fraction ?? "0").padEnd(3, "0")}`)
  )
}

/** Every cue of the track with a sprite region; cues without `#xywh=` are skipped. `base` is the track's URL. */
export const parseThumbnails = (vtt: string, base: string): Array<Thumbnail> => {
  const thumbnails: Array<Thumbnail> = []
  for (const block of vtt.replace(/\r\n?/g, "\n").split(/\n{2,}/)) {
    const lines = block.split("\n").map((line) => line.trim())
    const timing = lines.findIndex((line) => line.includes("-->"))
    const reference = lines[timing + 1]
    if (timing < 0 || reference === undefined) continue
    const [from = "", to = ""] = (lines[timing] ?? "").split("-->")
    const start = vttSeconds(from)
    const end = vttSeconds(to.trim().split(/\s+/)[0] ?? "")
    const hash = /#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(reference)
    if (hash === null || Number.isNaN(start) || Number.isNaN(end)) continue
    thumbnails.push({
      start,
      end,
      url: new URL(reference.slice(0, hash.index), base).toString(),
      x: Number(hash[1]),
      y: Number(hash[2]),
      width: Number(hash[3]),
      height: Number(hash[4])
    })
  }
  return thumbnails
}

/** The thumbnail whose cue holds `seconds` (the last one past the end). */
export const thumbnailAt = (thumbnails: ReadonlyArray<Thumbnail>, seconds: number) =>
  thumbnails.find((thumbnail) => seconds >= thumbnail.start && seconds < thumbnail.end) ?? thumbnails.at(-1)

/** `m:ss` or `h:mm:ss`. */
export const clock = (seconds: number) => {
  const whole = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0))
  const h = Math.floor(whole / 3600)
  const m = Math.floor((whole % 3600) / 60)
  const s = String(whole % 60).padStart(2, "0")
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`
}
