// The master and caption playlists, read back with m3u8-parser (video.js's parser) the way a player reads them.
import { describe, expect, it } from "@effect/vitest"
import { Parser } from "m3u8-parser"
import { captionPlaylist, type MasterRendition, masterPlaylist, quotedStringValue } from "../src/MasterPlaylist.ts"

interface Variant {
  readonly uri: string
  readonly attributes: {
    readonly BANDWIDTH: number
    readonly "AVERAGE-BANDWIDTH"?: string
    readonly RESOLUTION: { readonly width: number; readonly height: number }
    readonly CODECS: string
    readonly "FRAME-RATE"?: number
    readonly SUBTITLES?: string
  }
}

interface SubtitleRendition {
  readonly default: boolean
  readonly autoselect: boolean
  readonly language: string
  readonly uri: string
}

interface Parsed {
  readonly version: number
  readonly independentSegments?: boolean
  readonly playlists?: ReadonlyArray<Variant>
  readonly mediaGroups?: { readonly SUBTITLES: Record<string, Record<string, SubtitleRendition>> }
  readonly segments: ReadonlyArray<{ readonly duration: number; readonly uri: string }>
  readonly targetDuration?: number
  readonly playlistType?: string
  readonly endList?: boolean
}

const parse = (text: string): Parsed => {
  const parser = new Parser()
  parser.push(text)
  parser.end()
  return parser.manifest
}

const R360: MasterRendition = {
  name: "360p",
  width: 640,
  height: 360,
  bandwidth: 1_040_000,
  averageBandwidth: 812_345,
  codecs: "avc1.64001e,mp4a.40.2"
}
const R720: MasterRendition = {
  name: "720p",
  width: 1280,
  height: 720,
  bandwidth: 2_600_000,
  averageBandwidth: 1_990_000,
  codecs: "avc1.64001f,mp4a.40.2"
}
const R1080: MasterRendition = { name: "1080p", width: 1920, height: 1080, bandwidth: 5_200_000, codecs: "avc1.640028" }

describe("masterPlaylist", () => {
  it("lists every rendition in ascending bandwidth with its resolution, codecs and bandwidths", () => {
    const text = masterPlaylist({ renditions: [R1080, R360, R720], captions: [] })
    expect(text.split("\n").slice(0, 3)).toEqual(["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-INDEPENDENT-SEGMENTS"])
    expect(text.endsWith("\n")).toBe(true)
    const manifest = parse(text)
    expect(manifest.version).toBe(6)
    expect(manifest.independentSegments).toBe(true)
    const variants = manifest.playlists ?? []
    expect(variants.map((variant) => variant.uri)).toEqual(["360p/index.m3u8", "720p/index.m3u8", "1080p/index.m3u8"])
    expect(variants.map((variant) => variant.attributes.BANDWIDTH)).toEqual([1_040_000, 2_600_000, 5_200_000])
    expect(variants.map((variant) => variant.attributes.RESOLUTION)).toEqual([
      { width: 640, height: 360 },
      { width: 1280, height: 720 },
      { width: 1920, height: 1080 }
    ])
    expect(variants.map((variant) => variant.attributes.CODECS)).toEqual([
      "avc1.64001e,mp4a.40.2",
      "avc1.64001f,mp4a.40.2",
      "avc1.640028"
    ])
    // AVERAGE-BANDWIDTH only where known.
    expect(variants.map((variant) => variant.attributes["AVERAGE-BANDWIDTH"])).toEqual(["812345", "1990000", undefined])
    // No captions: no subtitle group, and no variant names one.
    expect(text).not.toContain("EXT-X-MEDIA")
    expect(variants.every((variant) => variant.attributes.SUBTITLES === undefined)).toBe(true)
  })

  it("declares one SUBTITLES rendition per caption and names the group on every variant", () => {
    const text = masterPlaylist({
      renditions: [R360, R720],
      captions: [
        { language: "en", label: "English" },
        { language: "pt-BR", label: "Português (Brasil)" }
      ]
    })
    const manifest = parse(text)
    expect(manifest.mediaGroups?.SUBTITLES).toEqual({
      subs: {
        English: { default: false, autoselect: true, language: "en", uri: "captions/en.m3u8" },
        "Português (Brasil)": { default: false, autoselect: true, language: "pt-BR", uri: "captions/pt-BR.m3u8" }
      }
    })
    expect((manifest.playlists ?? []).map((variant) => variant.attributes.SUBTITLES)).toEqual(["subs", "subs"])
    // The EXT-X-MEDIA lines come before the variants that refer to their group.
    expect(text.indexOf("#EXT-X-MEDIA:")).toBeLessThan(text.indexOf("#EXT-X-STREAM-INF:"))
  })

  it("adds FRAME-RATE when the frame rate is known", () => {
    const variants = parse(masterPlaylist({ renditions: [R360], captions: [], frameRate: 30000 / 1001 })).playlists
    expect(variants?.[0]?.attributes["FRAME-RATE"]).toBe(29.97)
    expect(masterPlaylist({ renditions: [R360], captions: [] })).not.toContain("FRAME-RATE")
  })

  it("cannot be broken out of by a hostile caption label", () => {
    const label = 'English"\n#EXT-X-STREAM-INF:BANDWIDTH=1\nhttps://evil.example/x.m3u8\r\n"'
    const text = masterPlaylist({ renditions: [R360, R720], captions: [{ language: "en", label }] })
    const lines = text.trimEnd().split("\n")
    // Still: 3 header lines, one EXT-X-MEDIA, two variants of two lines each.
    expect(lines).toHaveLength(8)
    expect(lines.filter((line) => line.startsWith("#EXT-X-STREAM-INF"))).toHaveLength(2)
    expect(text).not.toContain("\r")
    expect(lines.some((line) => line.startsWith("https://"))).toBe(false)
    const manifest = parse(text)
    expect((manifest.playlists ?? []).map((variant) => variant.uri)).toEqual(["360p/index.m3u8", "720p/index.m3u8"])
    const names = Object.keys(manifest.mediaGroups?.SUBTITLES.subs ?? {})
    expect(names).toEqual(["English' #EXT-X-STREAM-INF:BANDWIDTH=1 https://evil.example/x.m3u8 '"])
  })

  it("keeps NAMEs unique within the group, as HLS requires", () => {
    const manifest = parse(
      masterPlaylist({
        renditions: [R360],
        captions: [
          { language: "en", label: "Captions" },
          { language: "en-GB", label: "Captions" },
          { language: "fr", label: "Captions (en-GB)" }
        ]
      })
    )
    const subs = manifest.mediaGroups?.SUBTITLES.subs ?? {}
    expect(Object.keys(subs)).toEqual(["Captions", "Captions (en-GB)", "Captions (en-GB) (fr)"])
    expect(Object.values(subs).map((rendition) => rendition.language)).toEqual(["en", "en-GB", "fr"])
  })

  it("refuses a caption language that is not a BCP 47 tag (it names files and sits in a URI)", () => {
    expect(() =>
      masterPlaylist({ renditions: [R360], captions: [{ language: '../x",URI="y', label: "Evil" }] })
    ).toThrow(/BCP 47/)
  })

  it("quotes attribute values without quotes or line breaks", () => {
    expect(quotedStringValue(' a "b"\r\nc\u2028d\te ')).toBe("a 'b' c d e")
  })
})

describe("captionPlaylist", () => {
  it("is one WebVTT segment lasting the whole video", () => {
    const text = captionPlaylist({ durationSeconds: 125.4, language: "pt-BR" })
    const manifest = parse(text)
    expect(manifest.targetDuration).toBe(126)
    expect(manifest.playlistType).toBe("VOD")
    expect(manifest.endList).toBe(true)
    expect(manifest.segments).toEqual([{ duration: 125.4, uri: "pt-BR.vtt", timeline: 0 }])
    expect(text).toContain("#EXTINF:125.4,\npt-BR.vtt\n")
  })

  it("keeps EXTINF within the target duration after rounding, and a target of at least 1", () => {
    const rounded = parse(captionPlaylist({ durationSeconds: 10.0004, language: "en" }))
    expect(rounded.targetDuration).toBe(10)
    expect(rounded.segments[0]?.duration).toBe(10)
    const whole = parse(captionPlaylist({ durationSeconds: 60, language: "en" }))
    expect(whole.targetDuration).toBe(60)
    const unknown = captionPlaylist({ durationSeconds: Number.NaN, language: "en" })
    expect(parse(unknown).targetDuration).toBe(1)
    expect(unknown).toContain("#EXTINF:0,\n")
  })

  it("refuses a language that is not a BCP 47 tag", () => {
    expect(() => captionPlaylist({ durationSeconds: 5, language: "en/../../x" })).toThrow(/BCP 47/)
  })
})
