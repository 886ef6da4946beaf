// Caption files: an uploaded WebVTT or SubRip (SRT) file checked and rewritten as clean WebVTT for players.
//
// The output is always `WEBVTT`, then any REGION definitions, then the cues with canonical timings
// (`hh:mm:ss.ttt`), their identifiers (an SRT cue's number becomes its identifier) and their WebVTT settings. NOTE
// and STYLE blocks are dropped (comments, and CSS that could fetch URLs from the player), as are header metadata
// lines and SRT position coordinates and `{\an8}`-style overrides. Cue text keeps only WebVTT's own tags (c, i, b,
// u, ruby, rt, v, lang and timestamps) with safe classes and annotations; every other tag is removed and a stray `<`,
// `>` or bare `&` escaped, so a caption can never inject markup into a player that renders cue text as HTML.
import { Data, Either } from "effect"

/** The largest caption file accepted: 1 MiB. */
export const MAX_CAPTION_BYTES = 1024 * 1024

/** The file is not a caption file we accept; `reason` says why, with the line where it went wrong. */
export class CaptionRejected extends Data.TaggedError("CaptionRejected")<{ readonly reason: string }> {}

interface Cue {
  /** The line of the cue's timing, for messages. */
  readonly line: number
  readonly id: string | undefined
  readonly start: number
  readonly end: number
  readonly settings: string
  readonly text: ReadonlyArray<string>
}

interface Block {
  /** 1-based number of the block's first line. */
  readonly line: number
  readonly lines: ReadonlyArray<string>
}

type Format = "vtt" | "srt"

const reject = (reason: string) => Either.left(new CaptionRejected({ reason }))

const HEADER = /^WEBVTT(?:[ \t].*)?$/
const TIMING = /^[ \t]*(\S+?)[ \t]*-->[ \t]*(\S+)(?:[ \t]+(.*?))?[ \t]*$/
const VTT_TIMESTAMP = /^(?:([0-9]{2,}):)?([0-5][0-9]):([0-5][0-9])\.([0-9]{3})$/
const SRT_TIMESTAMP = /^([0-9]+):([0-5][0-9]):([0-5][0-9])[,.]([0-9]{3})$/
const VTT_SETTING = /^(?:vertical|line|position|size|align|region):[A-Za-z0-9%.,_-]+$/
const REGION_SETTING = /^[A-Za-z]+:[A-Za-z0-9%.,_-]+$/
const EXAMPLE: Record<Format, string> = {
  vtt: "00:00:01.000 --> 00:00:02.000",
  srt: "00:00:01,000 --> 00:00:02,000"
}

const quoted = (text: string) => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)

const isBlank = (line: string) => /^[ \t]*$/.test(line)

/** Runs of non-blank lines, blank lines (or lines of spaces) between them. */
const blocksOf = (lines: ReadonlyArray<string>): ReadonlyArray<Block> => {
  const blocks: Array<Block> = []
  let current: Array<string> = []
  let start = 0
  lines.forEach((line, index) => {
    if (isBlank(line)) {
      if (current.length > 0) blocks.push({ line: start + 1, lines: current })
      current = []
    } else {
      if (current.length === 0) start = index
      current.push(line)
    }
  })
  if (current.length > 0) blocks.push({ line: start + 1, lines: current })
  return blocks
}

/** Milliseconds of a timestamp, or undefined when it is not one in `format`. */
const millisOf = (text: string, format: Format) => {
  const match = (format === "vtt" ? VTT_TIMESTAMP : SRT_TIMESTAMP).exec(text)
  if (match === null) return undefined
  const [, hours = "0", minutes = "0", seconds = "0", millis = "0"] = match
  return ((Number(hours) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000 + Number(millis)
}

/** `hh:mm:ss.ttt` (hours at least two digits). */
export const formatTimestamp = (millis: number) => {
  const hours = Math.floor(millis / 3_600_000)
  const minutes = Math.floor(millis / 60_000) % 60
  const seconds = Math.floor(millis / 1000) % 60
  const pad = (value: number, width: number) => String(value).padStart(width, "0")
  return `${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}.${pad(millis % 1000, 3)}`
}

// ---------------------------------------------------------------- cue text

const ALLOWED_TAGS = new Set(["c", "i", "b", "u", "ruby", "rt", "v", "lang"])
const TIMESTAMP_TAG = /^(?:[0-9]{2,}:)?[0-5][0-9]:[0-5][0-9]\.[0-9]{3}$/
const START_TAG = /^([^\s.]+)((?:\.[^\s.]*)*)(?:\s+(.*))?$/s
const CLASS_NAME = /^[A-Za-z0-9_-]+$/
const LANGUAGE = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}$/
const ENTITY = /^&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});/

/** The tag kept for the inside of `<…>`, normalised, or "" to drop it. */
const keptTag = (inside: string) => {
  if (inside.startsWith("/")) {
    const name = inside.slice(1).trim().split(".")[0]?.toLowerCase() ?? ""
    return ALLOWED_TAGS.has(name) ? `</${name}>` : ""
  }
  if (TIMESTAMP_TAG.test(inside)) return `<${inside}>`
  const match = START_TAG.exec(inside)
  const name = match?.[1]?.toLowerCase() ?? ""
  if (match === null || !ALLOWED_TAGS.has(name)) return ""
  const classes = (match[2] ?? "")
    .split(".")
    .filter((className) => CLASS_NAME.test(className))
    .map((className) => `.${className}`)
    .join("")
  const annotation = (match[3] ?? "").trim()
  if (name === "lang") return LANGUAGE.test(annotation) ? `<lang${classes} ${annotation}>` : ""
  if (name === "v") {
    // A speaker's name: letters, digits, spaces and a little punctuation; never `=`, quotes or brackets.
    const speaker = annotation
      .replace(/[^\p{L}\p{M}\p{N} .'’_()-]/gu, "")
      .replace(/\s+/g, " ")
      .trim()
    return speaker === "" ? `<v${classes}>` : `<v${classes} ${speaker}>`
  }
  return `<${name}${classes}>`
}

/** Text between tags: `<` and `>` escaped, `&` escaped unless it starts a character reference. */
const escapedText = (text: string) =>
  text
    .replace(/&/g, (_, offset: number) => (ENTITY.test(text.slice(offset)) ? "&" : "&amp;"))
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")

/** One line of cue text with only WebVTT's tags left; SRT's `{\an8}`-style overrides go too. */
const cleanCueLine = (line: string, format: Format) => {
  const source = format === "srt" ? line.replace(/\{\\[^}]*\}/g, "") : line
  return source
    .split(/(<[^<>]*>)/)
    .map((part, index) => (index % 2 === 1 ? keptTag(part.slice(1, -1)) : escapedText(part)))
    .join("")
    .trim()
}

// ---------------------------------------------------------------- parsing

/** The cue whose timing is `lines[at]` of `block`, or the reason it is not one. */
const cueAt = (
  block: Block,
  at: number,
  id: string | undefined,
  format: Format
): Either.Either<Cue, CaptionRejected> => {
  const line = block.line + at
  const timingLine = block.lines[at] ?? ""
  const timing = TIMING.exec(timingLine)
  if (timing === null) {
    return reject(`line ${line}: ${quoted(timingLine)} is not a cue timing such as ${EXAMPLE[format]}`)
  }
  const [, startText = "", endText = "", settingsText = ""] = timing
  const start = millisOf(startText, format)
  const end = millisOf(endText, format)
  const shape = format === "vtt" ? "hh:mm:ss.ttt or mm:ss.ttt" : "hh:mm:ss,ttt"
  if (start === undefined) return reject(`line ${line}: ${quoted(startText)} is not a timestamp (${shape})`)
  if (end === undefined) return reject(`line ${line}: ${quoted(endText)} is not a timestamp (${shape})`)
  if (end < start) {
    return reject(`line ${line}: the cue ends (${formatTimestamp(end)}) before it starts (${formatTimestamp(start)})`)
  }
  if (end === start) return reject(`line ${line}: the cue ends when it starts (${formatTimestamp(start)})`)
  const text: Array<string> = []
  for (const [offset, textLine] of block.lines.slice(at + 1).entries()) {
    if (textLine.includes("-->")) return reject(`line ${line + 1 + offset}: cue text cannot contain "-->"`)
    const cleaned = cleanCueLine(textLine, format)
    if (cleaned !== "") text.push(cleaned)
  }
  const settings =
    format === "vtt"
      ? settingsText
          .split(/[ \t]+/)
          .filter((setting) => VTT_SETTING.test(setting))
          .join(" ")
      : ""
  return Either.right({ line, id, start, end, settings, text })
}

const isKeyword = (line: string, keyword: string) =>
  line === keyword || line.startsWith(`${keyword} `) || line.startsWith(`${keyword}\t`)

interface Parsed {
  readonly regions: ReadonlyArray<ReadonlyArray<string>>
  readonly cues: ReadonlyArray<Cue>
}

const parseVtt = (blocks: ReadonlyArray<Block>): Either.Either<Parsed, CaptionRejected> => {
  const [header, ...rest] = blocks
  // Header metadata lines (`Kind: captions`, `Language: en`) are dropped; a cue there is a missing blank line.
  for (const [offset, line] of (header?.lines ?? []).entries()) {
    if (line.includes("-->")) {
      return reject(`line ${(header?.line ?? 1) + offset}: leave a blank line between the WEBVTT header and the cues`)
    }
  }
  const regions: Array<ReadonlyArray<string>> = []
  const cues: Array<Cue> = []
  for (const block of rest) {
    const [first = ""] = block.lines
    if (isKeyword(first, "NOTE") || first.trim() === "STYLE") continue
    if (first.trim() === "REGION") {
      // Definitions only count before the first cue; their lines are `key:value` settings and nothing else.
      if (cues.length === 0) {
        const settings = block.lines
          .slice(1)
          .flatMap((line) => line.trim().split(/[ \t]+/))
          .filter((setting) => REGION_SETTING.test(setting))
        if (settings.length > 0) regions.push(settings)
      }
      continue
    }
    const hasId = !first.includes("-->")
    if (hasId && block.lines.length < 2) {
      return reject(`line ${block.line}: ${quoted(first)} is neither a cue timing such as ${EXAMPLE.vtt} nor a cue id`)
    }
    const cue = cueAt(block, hasId ? 1 : 0, hasId ? first.trim() : undefined, "vtt")
    if (Either.isLeft(cue)) return Either.left(cue.left)
    cues.push(cue.right)
  }
  return Either.right({ regions, cues })
}

const parseSrt = (blocks: ReadonlyArray<Block>): Either.Either<Parsed, CaptionRejected> => {
  const cues: Array<Cue> = []
  for (const block of blocks) {
    const [first = ""] = block.lines
    const numbered = /^[ \t]*[0-9]+[ \t]*$/.test(first)
    if (!numbered && !first.includes("-->")) {
      return reject(
        cues.length === 0
          ? `line ${block.line}: this is neither WebVTT (it does not start with WEBVTT) nor SubRip (SRT): ` +
              `expected a cue number or a timing such as ${EXAMPLE.srt}`
          : `line ${block.line}: expected a cue number or a timing such as ${EXAMPLE.srt}`
      )
    }
    if (numbered && block.lines.length < 2) {
      return reject(`line ${block.line + 1}: cue ${first.trim()} has no timing such as ${EXAMPLE.srt}`)
    }
    const cue = cueAt(block, numbered ? 1 : 0, numbered ? first.trim() : undefined, "srt")
    if (Either.isLeft(cue)) return Either.left(cue.left)
    cues.push(cue.right)
  }
  return Either.right({ regions: [], cues })
}

const render = ({ regions, cues }: Parsed) => {
  const blocks = [
    "WEBVTT",
    ...regions.map((settings) => ["REGION", ...settings].join("\n")),
    ...cues.map((cue) => {
      const timing = `${formatTimestamp(cue.start)} --> ${formatTimestamp(cue.end)}`
      const lines = [cue.settings === "" ? timing : `${timing} ${cue.settings}`, ...cue.text]
      return (cue.id === undefined ? lines : [cue.id, ...lines]).join("\n")
    })
  ]
  return `${blocks.join("\n\n")}\n`
}

/**
 * The WebVTT for an uploaded caption file (WebVTT, or SRT converted), or why it was refused: over
 * MAX_CAPTION_BYTES, not UTF-8, no cues, a malformed timing, a cue ending before it starts, cues out of order, or
 * `-->` in cue text.
 */
export const toWebVtt = (bytes: Uint8Array): Either.Either<string, CaptionRejected> => {
  if (bytes.length === 0) return reject("the caption file is empty")
  if (bytes.length > MAX_CAPTION_BYTES) {
    return reject(`a caption file is at most ${MAX_CAPTION_BYTES} bytes (1 MiB); this one is ${bytes.length} bytes`)
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return reject("the caption file is UTF-16 text; save it as UTF-8")
  }
  let decoded: string
  try {
    // The decoder drops a leading UTF-8 byte order mark.
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(bytes)
  } catch {
    return reject("the caption file is not UTF-8 text; save it as UTF-8")
  }
  if (decoded.includes("\u0000")) return reject("the caption file contains NUL characters: it is not UTF-8 text")
  const lines = decoded.replace(/\r\n?/g, "\n").split("\n")
  const blocks = blocksOf(lines)
  const isVtt = HEADER.test(blocks[0]?.lines[0] ?? "")
  const parsed = isVtt ? parseVtt(blocks) : parseSrt(blocks)
  if (Either.isLeft(parsed)) return Either.left(parsed.left)
  const { cues } = parsed.right
  if (cues.length === 0) return reject("the caption file has no cues")
  for (const [index, cue] of cues.entries()) {
    const previous = cues[index - 1]
    if (previous !== undefined && cue.start < previous.start) {
      return reject(
        `line ${cue.line}: this cue starts at ${formatTimestamp(cue.start)}, before the one above ` +
          `(${formatTimestamp(previous.start)}); cues must be in time order`
      )
    }
  }
  return Either.right(render(parsed.right))
}
