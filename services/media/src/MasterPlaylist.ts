// The HLS playlists media builds on request: the master (variants + subtitle renditions) and each caption's playlist.
import type { RungName } from "@lectern/platform/Transcoder"

export interface MasterRendition {
  readonly name: RungName
  readonly width: number
  readonly height: number
  /** Peak bits per second. */
  readonly bandwidth: number
  /** Mean bits per second, when measured. */
  readonly averageBandwidth?: number | undefined
  /** RFC 6381 codecs, e.g. `avc1.64001f,mp4a.40.2`. */
  readonly codecs: string
}

export interface MasterCaption {
  /** A BCP 47 tag (the contract's CaptionLanguage); it names the caption's files. */
  readonly language: string
  /** Shown in the player's subtitle menu. */
  readonly label: string
}

export const SUBTITLES_GROUP = "subs"

const LANGUAGE_PATTERN = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must not reach the playlist
const LINE_BREAKS_AND_CONTROLS = /[\u0000-\u001f\u007f\u2028\u2029]+/g

/** An HLS quoted-string cannot hold `"`, CR or LF: quotes become `'`, line breaks (and other controls) spaces. */
export const quotedStringValue = (value: string) =>
  value.replace(/"/g, "'").replace(LINE_BREAKS_AND_CONTROLS, " ").trim()

const checkedLanguage = (language: string) => {
  if (!LANGUAGE_PATTERN.test(language)) throw new Error(`not a BCP 47 caption language: ${JSON.stringify(language)}`)
  return language
}

/** Decimal seconds for EXTINF / FRAME-RATE: at most 3 decimals, no trailing zeros, never exponent notation. */
const decimal = (value: number) => String(Number(value.toFixed(3)))

/** Labels made unique within the group (HLS requires distinct NAMEs): a repeated label gets its language appended. */
const uniqueNames = (captions: ReadonlyArray<MasterCaption>) => {
  const seen = new Set<string>()
  return captions.map((caption) => {
    const label = quotedStringValue(caption.label) || caption.language
    let name = seen.has(label) ? `${label} (${caption.language})` : label
    for (let n = 2; seen.has(name); n++) name = `${label} (${caption.language} ${n})`
    seen.add(name)
    return name
  })
}

/**
 * The master playlist: one SUBTITLES rendition per caption (`captions/<lang>.m3u8`, none selected by default) and one
 * variant per rendition in ascending bandwidth (`<rung>/index.m3u8`), each naming the subtitle group when there are
 * captions. Throws on a caption language that is not a BCP 47 tag (the contract only lets those in).
 */
export const masterPlaylist = (options: {
  readonly renditions: ReadonlyArray<MasterRendition>
  readonly captions: ReadonlyArray<MasterCaption>
  /** Frames per second of the video, for FRAME-RATE. */
  readonly frameRate?: number | undefined
}): string => {
  const { renditions, captions, frameRate } = options
  const names = uniqueNames(captions)
  const lines = ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-INDEPENDENT-SEGMENTS"]
  captions.forEach((caption, index) => {
    const language = checkedLanguage(caption.language)
    lines.push(
      `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="${SUBTITLES_GROUP}",NAME="${names[index]}",LANGUAGE="${language}",` +
        `DEFAULT=NO,AUTOSELECT=YES,URI="captions/${language}.m3u8"`
    )
  })
  const ascending = [...renditions].sort((a, b) => a.bandwidth - b.bandwidth)
  for (const rendition of ascending) {
    const attributes = [`BANDWIDTH=${Math.round(rendition.bandwidth)}`]
    if (rendition.averageBandwidth !== undefined) {
      attributes.push(`AVERAGE-BANDWIDTH=${Math.round(rendition.averageBandwidth)}`)
    }
    attributes.push(`RESOLUTION=${rendition.width}x${rendition.height}`)
    attributes.push(`CODECS="${quotedStringValue(rendition.codecs)}"`)
    if (frameRate !== undefined && Number.isFinite(frameRate) && frameRate > 0) {
      attributes.push(`FRAME-RATE=${decimal(frameRate)}`)
    }
    if (captions.length > 0) attributes.push(`SUBTITLES="${SUBTITLES_GROUP}"`)
    lines.push(`#EXT-X-STREAM-INF:${attributes.join(",")}`, `${rendition.name}/index.m3u8`)
  }
  return `${lines.join("\n")}\n`
}

/**
 * The media playlist of one caption: a single WebVTT segment (`<lang>.vtt`, beside this playlist) lasting the whole
 * video. The target duration is the duration rounded up (at least 1, for a media whose duration is unknown).
 */
export const captionPlaylist = (options: { readonly durationSeconds: number; readonly language: string }): string => {
  const language = checkedLanguage(options.language)
  const duration = Number.isFinite(options.durationSeconds) && options.durationSeconds > 0 ? options.durationSeconds : 0
  const target = Math.max(1, Math.ceil(Number(duration.toFixed(3))))
  return [
    "#EXTM3U",
    "#EXT-X-VERSION:3",
    `#EXT-X-TARGETDURATION:${target}`,
    "#EXT-X-MEDIA-SEQUENCE:0",
    "#EXT-X-PLAYLIST-TYPE:VOD",
    `#EXTINF:${decimal(duration)},`,
    `${language}.vtt`,
    "#EXT-X-ENDLIST",
    ""
  ].join("\n")
}
