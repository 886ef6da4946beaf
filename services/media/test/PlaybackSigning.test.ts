// Signed playback paths: round trips, every way a token is refused, and the HLS path parser against traversal tricks.
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import {
  contentTypeOfHlsFile,
  isImmutableHlsFile,
  type PlaybackDeniedReason,
  parseHlsPath,
  signPlayback,
  verifyPlayback
} from "../src/PlaybackSigning.ts"

const SECRET = "a-test-secret-of-decent-length"
const MEDIA = "0b6b3c0e-5d1a-4c7e-9f00-2f4d7a9e1c35"
const OTHER_MEDIA = "6f1d2a8e-0c3b-4e5f-8a9b-7c6d5e4f3a21"
const USER = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"
const EXPIRES = new Date("2030-01-02T03:04:05.678Z")
const EXPIRY_SECONDS = Math.floor(EXPIRES.getTime() / 1000)
const BEFORE = new Date("2030-01-01T00:00:00Z")

const sign = (userId: string | undefined) =>
  signPlayback({ secret: SECRET, mediaId: MEDIA, userId, expiresAt: EXPIRES })

const refusal = (token: string, options: { mediaId?: string; secret?: string; now?: Date } = {}) => {
  const verified = verifyPlayback({
    secret: options.secret ?? SECRET,
    mediaId: options.mediaId ?? MEDIA,
    token,
    now: options.now ?? BEFORE
  })
  return Either.isLeft(verified) ? verified.left.reason : "accepted"
}

/** The same token with one of its three parts replaced. */
const withPart = (token: string, index: number, value: string) => {
  const parts = token.split(".")
  parts[index] = value
  return parts.join(".")
}

describe("signPlayback / verifyPlayback", () => {
  it("round-trips a viewer's token, as one URL-safe path segment under /media/hls/<id>/", () => {
    const { token, basePath } = sign(USER)
    expect(token).toMatch(/^[0-9]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/)
    expect(encodeURIComponent(token)).toBe(token)
    expect(basePath).toBe(`/media/hls/${MEDIA}/${token}/`)
    expect(token.split(".")[0]).toBe(String(EXPIRY_SECONDS))
    const verified = verifyPlayback({ secret: SECRET, mediaId: MEDIA, token, now: BEFORE })
    expect(verified).toEqual(Either.right({ userId: USER, expiresAt: new Date(EXPIRY_SECONDS * 1000) }))
  })

  it("round-trips an anonymous token, its user written as -", () => {
    const { token } = sign(undefined)
    expect(token.split(".")[1]).toBe("-")
    const verified = verifyPlayback({ secret: SECRET, mediaId: MEDIA, token, now: BEFORE })
    expect(Either.getOrThrow(verified).userId).toBeUndefined()
  })

  it("gives the same grant to every file under the base path, the way a player resolves playlist URIs", () => {
    const { basePath, token } = sign(USER)
    const master = new URL(`https://cdn.example${basePath}master.m3u8?ignored=1`)
    const variant = new URL("720p/index.m3u8", master)
    const segment = new URL("segment-00007.ts", variant)
    const captions = new URL("captions/en.m3u8", master)
    const vtt = new URL("en.vtt", captions)
    const poster = new URL("poster.jpg", master)
    const files = [master, variant, segment, captions, vtt, poster].map((url) => parseHlsPath(url.pathname))
    expect(files).toEqual(
      [
        "master.m3u8",
        "720p/index.m3u8",
        "720p/segment-00007.ts",
        "captions/en.m3u8",
        "captions/en.vtt",
        "poster.jpg"
      ].map((file) => ({ mediaId: MEDIA, token, file }))
    )
  })

  it("expires at the expiry second, not before", () => {
    const { token } = sign(USER)
    expect(refusal(token, { now: new Date((EXPIRY_SECONDS - 1) * 1000 + 999) })).toBe("accepted")
    expect(refusal(token, { now: new Date(EXPIRY_SECONDS * 1000) })).toBe("expired")
    expect(refusal(token, { now: new Date("2031-01-01T00:00:00Z") })).toBe("expired")
  })

  it("refuses a token whose expiry, user or signature was changed", () => {
    const { token } = sign(USER)
    const [, , mac = ""] = token.split(".")
    expect(refusal(withPart(token, 0, String(EXPIRY_SECONDS + 3600)))).toBe("bad-signature")
    expect(refusal(withPart(token, 0, String(EXPIRY_SECONDS - 1)))).toBe("bad-signature")
    expect(refusal(withPart(token, 1, "1f0e9d8c-7b6a-4d3c-8b2a-5f4e9d8c7b6a"))).toBe("bad-signature")
    expect(refusal(withPart(token, 1, "-"))).toBe("bad-signature")
    // Each canonical change of the MAC: its first character, and a flipped byte in the middle.
    const firstChanged = `${mac[0] === "A" ? "B" : "A"}${mac.slice(1)}`
    expect(refusal(withPart(token, 2, firstChanged))).toBe("bad-signature")
    const bytes = Buffer.from(mac, "base64url")
    bytes[16] = (bytes[16] ?? 0) ^ 0x01
    expect(refusal(withPart(token, 2, bytes.toString("base64url")))).toBe("bad-signature")
    // An anonymous token given a user is not a user's token.
    const anonymous = sign(undefined).token
    expect(refusal(withPart(anonymous, 1, USER))).toBe("bad-signature")
  })

  it("refuses a token signed for another media or with another secret", () => {
    const { token } = sign(USER)
    expect(refusal(token, { mediaId: OTHER_MEDIA })).toBe("bad-signature")
    expect(refusal(token, { secret: `${SECRET}!` })).toBe("bad-signature")
    const forOther = signPlayback({ secret: SECRET, mediaId: OTHER_MEDIA, userId: USER, expiresAt: EXPIRES })
    expect(refusal(forOther.token)).toBe("bad-signature")
  })

  it("refuses malformed and non-canonical tokens", () => {
    const { token } = sign(USER)
    const [expiry = "", user = "", mac = ""] = token.split(".")
    // The last of 43 characters carries 4 bits of the MAC and 2 unused bits: another character, same bytes.
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    const sameBytes = `${mac.slice(0, -1)}${alphabet[alphabet.indexOf(mac.at(-1) ?? "A") + 1]}`
    expect(Buffer.from(sameBytes, "base64url").equals(Buffer.from(mac, "base64url"))).toBe(true)
    const cases: ReadonlyArray<readonly [string, PlaybackDeniedReason]> = [
      ["", "malformed"],
      [".", "malformed"],
      ["..", "malformed"],
      [`${expiry}.${user}`, "malformed"],
      [`${token}.extra`, "malformed"],
      [`0${expiry}.${user}.${mac}`, "malformed"],
      [`+${expiry}.${user}.${mac}`, "malformed"],
      [`${expiry}.0.${user}.${mac}`, "malformed"],
      [`0.${user}.${mac}`, "malformed"],
      [`${expiry}e0.${user}.${mac}`, "malformed"],
      [`${Number(expiry).toString(16)}.${user}.${mac}`, "malformed"],
      [`${expiry}..${mac}`, "malformed"],
      [`${expiry}.a b.${mac}`, "malformed"],
      [`${expiry}.${user}/x.${mac}`, "malformed"],
      [`${expiry}.${user}.${mac}=`, "malformed"],
      [`${expiry}.${user}.${mac.slice(0, -1)}`, "malformed"],
      [`${expiry}.${user}.${mac}A`, "malformed"],
      [`${expiry}.${user}.${Buffer.from(mac, "base64url").toString("base64")}`, "malformed"],
      [`${expiry}.${user}.${Buffer.from(mac, "base64url").toString("hex")}`, "malformed"],
      [`${expiry}.${user}.${sameBytes}`, "malformed"],
      [`${expiry} .${user}.${mac}`, "malformed"]
    ]
    for (const [candidate, reason] of cases) expect([candidate, refusal(candidate)]).toEqual([candidate, reason])
    // A media id that could not come from a path is refused before any MAC is computed.
    expect(refusal(token, { mediaId: "../x" })).toBe("malformed")
  })

  it("refuses to sign with a short secret, or for ids that cannot sit in a path", () => {
    expect(() => signPlayback({ secret: "short", mediaId: MEDIA, expiresAt: EXPIRES })).toThrow(/secret/)
    expect(() => signPlayback({ secret: SECRET, mediaId: "a/b", expiresAt: EXPIRES })).toThrow(/media id/)
    expect(() => signPlayback({ secret: SECRET, mediaId: MEDIA, userId: "-", expiresAt: EXPIRES })).toThrow(/user id/)
    expect(() => signPlayback({ secret: SECRET, mediaId: MEDIA, userId: "a.b", expiresAt: EXPIRES })).toThrow(/user id/)
    expect(() => signPlayback({ secret: SECRET, mediaId: MEDIA, expiresAt: new Date(Number.NaN) })).toThrow(/expiry/)
  })
})

describe("parseHlsPath", () => {
  const { token } = sign(USER)
  const base = `/media/hls/${MEDIA}/${token}/`

  it("accepts every file shape a player asks for", () => {
    const files = [
      "master.m3u8",
      "poster.jpg",
      "thumbnails.vtt",
      "thumbnails.jpg",
      "360p/index.m3u8",
      "720p/index.m3u8",
      "1080p/index.m3u8",
      "720p/segment-00000.ts",
      "1080p/segment-123456.ts",
      "360p/segment-7.m4s",
      "720p/init.mp4",
      "captions/en.vtt",
      "captions/pt-BR.m3u8",
      "captions/zh-Hant.vtt"
    ]
    for (const file of files) expect(parseHlsPath(`${base}${file}`)).toEqual({ mediaId: MEDIA, token, file })
  })

  it("decodes percent-encoded ordinary characters once", () => {
    expect(parseHlsPath(`${base}master%2Em3u8`)).toBeUndefined()
    expect(parseHlsPath(`${base}%6Daster.m3u8`)).toEqual({ mediaId: MEDIA, token, file: "master.m3u8" })
  })

  it("refuses files outside the allowed shapes", () => {
    const files = [
      "",
      "master.m3u8/",
      "index.m3u8",
      "master.M3U8",
      "Master.m3u8",
      "master.m3u8.bak",
      "poster.png",
      "480p/index.m3u8",
      "720p/index.m3u8x",
      "720p/segment-.ts",
      "720p/segment-00001.mp4",
      "720p/segment-0000000001.ts",
      "720p/segment-1.ts.jpg",
      "720p/init.m4s",
      "720p/720p/index.m3u8",
      "captions/en",
      "captions/english.vtt",
      "captions/e.vtt",
      "captions/en.srt",
      "captions/en/../en.vtt",
      "source.mp4",
      "uploads/x",
      ".env",
      "thumbnails.vtt ",
      " master.m3u8"
    ]
    for (const file of files) expect([file, parseHlsPath(`${base}${file}`)]).toEqual([file, undefined])
  })

  it("refuses traversal: dot segments, empty segments, backslashes, NUL and control characters", () => {
    const paths = [
      `${base}../master.m3u8`,
      `${base}../../../etc/passwd`,
      `${base}./master.m3u8`,
      `${base}720p/../master.m3u8`,
      `${base}720p/./index.m3u8`,
      `${base}720p//index.m3u8`,
      `${base}/master.m3u8`,
      `${base}..`,
      `${base}.`,
      `/media/hls/${MEDIA}/../${token}/master.m3u8`,
      `/media/hls/../hls/${MEDIA}/${token}/master.m3u8`,
      `/media/hls/${MEDIA}//${token}/master.m3u8`,
      `/media/hls//${MEDIA}/${token}/master.m3u8`,
      `/media/hls/./${MEDIA}/${token}/master.m3u8`,
      `/media/hls/${MEDIA}/./master.m3u8`,
      `/media/hls/${MEDIA}/../master.m3u8`,
      `/media/hls/${MEDIA}/${token}`,
      `/media/hls/${MEDIA}/${token}/`,
      `/media/hls/${MEDIA}/`,
      "/media/hls/",
      `${base}720p\\index.m3u8`,
      `${base}..\\..\\etc\\passwd`,
      `/media/hls/${MEDIA}\\..\\${token}/master.m3u8`,
      `${base}master.m3u8\u0000.jpg`,
      `${base}master.m3u8\n`,
      `${base}master\tm3u8`,
      `media/hls/${MEDIA}/${token}/master.m3u8`,
      `//media/hls/${MEDIA}/${token}/master.m3u8`,
      `/media/HLS/${MEDIA}/${token}/master.m3u8`,
      `/media/hlsx/${MEDIA}/${token}/master.m3u8`,
      `/media/hls/${MEDIA}.x/${token}/master.m3u8`,
      `/media/hls/${MEDIA}/tok/en/master.m3u8`,
      `/media/hls/${MEDIA}/${token}?x/master.m3u8`,
      `/media/hls/${"a".repeat(65)}/${token}/master.m3u8`
    ]
    for (const path of paths) expect([path, parseHlsPath(path)]).toEqual([path, undefined])
  })

  it("refuses percent-encoded slashes, dots, backslashes and NUL, double encoding and broken escapes", () => {
    const paths = [
      `${base}%2e%2e/master.m3u8`,
      `${base}%2E%2E/%2E%2E/etc/passwd`,
      `${base}.%2e/master.m3u8`,
      `${base}%2e./master.m3u8`,
      `${base}..%2fmaster.m3u8`,
      `${base}720p%2Findex.m3u8`,
      `${base}720p%5cindex.m3u8`,
      `${base}master.m3u8%00.jpg`,
      `${base}%252e%252e/master.m3u8`,
      `${base}720p%252findex.m3u8`,
      `${base}%25`,
      `${base}%`,
      `${base}%zz`,
      `${base}%c0%ae%c0%ae/master.m3u8`,
      `${base}%e0%80%ae%e0%80%ae/master.m3u8`,
      `/media/hls/${MEDIA}/${token}%2fmaster.m3u8`,
      `/media%2fhls/${MEDIA}/${token}/master.m3u8`,
      `/media/hls/%2e%2e/${MEDIA}/${token}/master.m3u8`,
      `${base}%0amaster.m3u8`,
      `${base}%20master.m3u8`,
      `${base}720p%2F..%2F..%2Fmaster.m3u8`
    ]
    for (const path of paths) expect([path, parseHlsPath(path)]).toEqual([path, undefined])
  })
})

describe("HLS file types and caching", () => {
  it("names each file's content type", () => {
    expect(contentTypeOfHlsFile("master.m3u8")).toBe("application/vnd.apple.mpegurl")
    expect(contentTypeOfHlsFile("720p/index.m3u8")).toBe("application/vnd.apple.mpegurl")
    expect(contentTypeOfHlsFile("captions/en.m3u8")).toBe("application/vnd.apple.mpegurl")
    expect(contentTypeOfHlsFile("720p/segment-00001.ts")).toBe("video/mp2t")
    expect(contentTypeOfHlsFile("720p/segment-00001.m4s")).toBe("video/mp4")
    expect(contentTypeOfHlsFile("720p/init.mp4")).toBe("video/mp4")
    expect(contentTypeOfHlsFile("poster.jpg")).toBe("image/jpeg")
    expect(contentTypeOfHlsFile("thumbnails.jpg")).toBe("image/jpeg")
    expect(contentTypeOfHlsFile("thumbnails.vtt")).toBe("text/vtt")
    expect(contentTypeOfHlsFile("captions/en.vtt")).toBe("text/vtt")
    expect(contentTypeOfHlsFile("notes.txt")).toBe("application/octet-stream")
  })

  it("marks segments, init, poster and sprite immutable, and playlists and WebVTT not", () => {
    const immutable = [
      "720p/segment-00001.ts",
      "720p/segment-00001.m4s",
      "720p/init.mp4",
      "poster.jpg",
      "thumbnails.jpg"
    ]
    const mutable = ["master.m3u8", "720p/index.m3u8", "captions/en.m3u8", "captions/en.vtt", "thumbnails.vtt"]
    for (const file of immutable) expect([file, isImmutableHlsFile(file)]).toEqual([file, true])
    for (const file of mutable) expect([file, isImmutableHlsFile(file)]).toEqual([file, false])
  })
})
