// Signed HLS playback paths: the HMAC token that grants one media's files, and the strict parser for `/media/hls/…`.
//
// A playback URL is `/media/hls/<mediaId>/<token>/<file>`, the token being ONE path segment:
//
//   <expiry>.<user>.<mac>
//
// - `expiry`: unix seconds, decimal, no leading zeros;
// - `user`: the viewer's id, or `-` for an anonymous viewer;
// - `mac`: HMAC-SHA256 keyed with the secret over the version, media id, granted prefix (`media/<id>/`), user and
//   expiry (a JSON array, so no field can bleed into another), in unpadded base64url (43 characters).
//
// The token sits in the path rather than the query because players resolve the relative URIs inside a playlist
// against the playlist's URL and drop its query string: with the token in the path, every variant playlist, segment
// and caption under the master's directory carries it without rewriting any playlist.
import { createHmac, timingSafeEqual } from "node:crypto"
import { Data, Either } from "effect"

/** Why a playback token was refused. */
export type PlaybackDeniedReason = "malformed" | "expired" | "bad-signature"

export class PlaybackDenied extends Data.TaggedError("PlaybackDenied")<{ readonly reason: PlaybackDeniedReason }> {}

/** What a valid token grants: who it was issued to (undefined when anonymous) and until when. */
export interface PlaybackGrant {
  readonly userId: string | undefined
  readonly expiresAt: Date
}

export interface SignedPlayback {
  readonly token: string
  /** `/media/hls/<mediaId>/<token>/`: append `master.m3u8`, `poster.jpg`, `captions/en.vtt`, … */
  readonly basePath: string
}

export const HLS_PATH_PREFIX = "/media/hls/"

const VERSION = "lectern-playback-v1"
const ANONYMOUS = "-"
/** Media and user ids are UUIDs; anything that could not sit alone in a path segment is refused. */
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/
const EXPIRY_PATTERN = /^[1-9][0-9]{0,11}$/
const MAC_PATTERN = /^[A-Za-z0-9_-]{43}$/
const TOKEN_PATTERN = /^[A-Za-z0-9._-]{1,160}$/
const MIN_SECRET_LENGTH = 16

/** The prefix of the store a token grants: everything of one media. */
export const grantedPrefix = (mediaId: string) => `media/${mediaId}/`

const macOf = (secret: string, mediaId: string, user: string, expiry: string) =>
  createHmac("sha256", secret)
    .update(JSON.stringify([VERSION, mediaId, grantedPrefix(mediaId), user, expiry]))
    .digest()

/**
 * A token for `mediaId`, valid until `expiresAt` (rounded down to the second). Throws on a secret shorter than 16
 * characters, an id that is not a plain path segment, or an invalid date: those are programming or configuration
 * errors, not user input.
 */
export const signPlayback = (options: {
  readonly secret: string
  readonly mediaId: string
  readonly userId?: string | undefined
  readonly expiresAt: Date
}): SignedPlayback => {
  const { secret, mediaId, userId, expiresAt } = options
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new Error(`the playback signing secret must be at least ${MIN_SECRET_LENGTH} characters`)
  }
  if (!ID_PATTERN.test(mediaId)) throw new Error(`not a media id that can sit in a path: ${JSON.stringify(mediaId)}`)
  if (userId !== undefined && (!ID_PATTERN.test(userId) || userId === ANONYMOUS)) {
    throw new Error(`not a user id that can sit in a token: ${JSON.stringify(userId)}`)
  }
  const seconds = Math.floor(expiresAt.getTime() / 1000)
  if (!Number.isSafeInteger(seconds) || seconds < 1) throw new Error("the playback expiry must be a valid date")
  const expiry = String(seconds)
  const user = userId ?? ANONYMOUS
  const token = `${expiry}.${user}.${macOf(secret, mediaId, user, expiry).toString("base64url")}`
  return { token, basePath: `${HLS_PATH_PREFIX}${mediaId}/${token}/` }
}

const denied = (reason: PlaybackDeniedReason) => Either.left(new PlaybackDenied({ reason }))

/**
 * Checks `token` for `mediaId` at `now`: its shape first (`malformed`: anything but the canonical encoding signing
 * produces), then the signature in constant time (`bad-signature`, also for a token of another media or secret),
 * then the expiry (`expired`: at or after the expiry second).
 */
export const verifyPlayback = (options: {
  readonly secret: string
  readonly mediaId: string
  readonly token: string
  readonly now: Date
}): Either.Either<PlaybackGrant, PlaybackDenied> => {
  const { secret, mediaId, token, now } = options
  if (!ID_PATTERN.test(mediaId)) return denied("malformed")
  const parts = token.split(".")
  if (parts.length !== 3) return denied("malformed")
  const [expiry = "", user = "", mac = ""] = parts
  if (!EXPIRY_PATTERN.test(expiry) || !ID_PATTERN.test(user) || !MAC_PATTERN.test(mac)) return denied("malformed")
  const given = Buffer.from(mac, "base64url")
  // Two encodings of the same bytes (the last character's unused bits) would make one grant look like two.
  if (given.toString("base64url") !== mac) return denied("malformed")
  const expected = macOf(secret, mediaId, user, expiry)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return denied("bad-signature")
  const seconds = Number(expiry)
  if (Math.floor(now.getTime() / 1000) >= seconds) return denied("expired")
  return Either.right({ userId: user === ANONYMOUS ? undefined : user, expiresAt: new Date(seconds * 1000) })
}

// ---------------------------------------------------------------- paths

export interface HlsPath {
  readonly mediaId: string
  readonly token: string
  /** Relative to the media's directory, one of the allowed shapes, e.g. `720p/segment-00003.ts`. */
  readonly file: string
}

const RUNG = "(?:360p|720p|1080p)"
/** A BCP 47 tag, as the contract's CaptionLanguage. */
const LANGUAGE = "[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}"
const FILE_SHAPES = [
  "master\\.m3u8",
  "poster\\.jpg",
  "thumbnails\\.(?:vtt|jpg)",
  `${RUNG}/index\\.m3u8`,
  `${RUNG}/segment-[0-9]{1,9}\\.(?:ts|m4s)`,
  `${RUNG}/init\\.mp4`,
  `captions/${LANGUAGE}\\.(?:vtt|m3u8)`
]
const FILE_PATTERN = new RegExp(`^(?:${FILE_SHAPES.join("|")})$`)

/** Encoded separators, dots and NUL: refused before decoding, so decoding cannot create `/`, `..` or `\`. */
const ENCODED_TRICKS = /%(?:2f|5c|2e|00)/i
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/

/**
 * Parses a request's pathname (without its query) as `/media/hls/<mediaId>/<token>/<file…>`; undefined for anything
 * else: traversal (`..`, `.`, empty segments, backslashes, encoded `/`, `.`, `\` or NUL, double encoding), control
 * characters, or a file outside the allowed shapes (master, poster, thumbnails, a rung's playlist, segments or fMP4
 * init, a caption's WebVTT or playlist).
 */
export const parseHlsPath = (pathname: string): HlsPath | undefined => {
  if (ENCODED_TRICKS.test(pathname)) return undefined
  let decoded: string
  try {
    decoded = decodeURIComponent(pathname)
  } catch {
    return undefined
  }
  // Still encoded after one decoding: double encoding, never produced by a player resolving our playlists.
  if (decoded.includes("%") || decoded.includes("\\") || CONTROL.test(decoded)) return undefined
  if (!decoded.startsWith(HLS_PATH_PREFIX)) return undefined
  const segments = decoded.slice(HLS_PATH_PREFIX.length).split("/")
  if (segments.some((segment) => segment === "" || segment === "." || segment === "..")) return undefined
  const [mediaId = "", token = "", ...rest] = segments
  if (!ID_PATTERN.test(mediaId) || !TOKEN_PATTERN.test(token) || rest.length === 0) return undefined
  const file = rest.join("/")
  return FILE_PATTERN.test(file) ? { mediaId, token, file } : undefined
}

const extensionOf = (file: string) => file.slice(file.lastIndexOf(".") + 1)

/** The Content-Type of an HLS file by its extension (`application/octet-stream` for anything unexpected). */
export const contentTypeOfHlsFile = (file: string): string => {
  switch (extensionOf(file)) {
    case "m3u8":
      return "application/vnd.apple.mpegurl"
    case "ts":
      return "video/mp2t"
    case "m4s":
    case "mp4":
      return "video/mp4"
    case "jpg":
      return "image/jpeg"
    case "vtt":
      return "text/vtt"
    default:
      return "application/octet-stream"
  }
}

/**
 * Whether a file never changes once written (segments, fMP4 init, poster, thumbnail sprite), so caches may keep it
 * for the token's life; playlists and WebVTT (captions can be replaced) are not.
 */
export const isImmutableHlsFile = (file: string): boolean => {
  const extension = extensionOf(file)
  return extension === "ts" || extension === "m4s" || extension === "mp4" || extension === "jpg"
}
