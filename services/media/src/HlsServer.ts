// GET /media/hls/<mediaId>/<token>/<file>: signed HLS playback — playlists, segments, poster, thumbnails, captions.
//
// The token rides in the path, so every URI a player resolves inside a playlist carries it. It is checked on every
// request; the file must be one of the shapes a transcode writes, inside that media's current generation. Bytes are
// streamed through rather than redirected to S3: the token check, ETags and ranges stay the same on every backend,
// and hot segments are served from memory.
import { createHash } from "node:crypto"
import type { IncomingMessage, ServerResponse } from "node:http"
import type { MediaId } from "@lectern/domain"
import { BlobNotFound, BlobStore, BlobStoreUnavailable, type OpenBlobFile } from "@lectern/platform/BlobStore"
import { Cause, Config, Context, Effect, Either, Exit, Layer, Option, Redacted, Runtime } from "effect"
import { captionPlaylist, masterPlaylist } from "./MasterPlaylist.ts"
import { captionKey, generationPrefix, MediaSettings } from "./MediaLibrary.ts"
import { contentTypeOfHlsFile, isImmutableHlsFile, parseHlsPath, verifyPlayback } from "./PlaybackSigning.ts"
import { type CaptionRow, MediaRepo, type MediaRow } from "./Repo.ts"

export const HLS_PATH = "/media/hls/"

export const HlsSettings = Config.all({
  /** Memory for hot immutable files (segments, posters, sprites); 0 turns the cache off. */
  cacheBytes: Config.integer("MEDIA_CACHE_BYTES").pipe(Config.withDefault(256 * 1024 * 1024))
})

/** A byte-bounded LRU of immutable files: a Map keeps insertion order, and a hit moves the entry to the end. */
export class ByteLru {
  readonly #entries = new Map<string, { readonly bytes: Uint8Array; readonly etag: string }>()
  #bytes = 0
  readonly limit: number
  constructor(limit: number) {
    this.limit = limit
  }
  get(key: string) {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    this.#entries.delete(key)
    this.#entries.set(key, entry)
    return entry
  }
  set(key: string, entry: { readonly bytes: Uint8Array; readonly etag: string }) {
    if (entry.bytes.length > this.limit / 8) return
    const old = this.#entries.get(key)
    if (old !== undefined) {
      this.#bytes -= old.bytes.length
      this.#entries.delete(key)
    }
    this.#entries.set(key, entry)
    this.#bytes += entry.bytes.length
    for (const [oldest, value] of this.#entries) {
      if (this.#bytes <= this.limit) break
      this.#entries.delete(oldest)
      this.#bytes -= value.bytes.length
    }
  }
  get size() {
    return this.#bytes
  }
}

interface Served {
  readonly bytes: Uint8Array
  readonly etag: string
  /** Gives a borrowed buffer back once the response is done with it. */
  readonly release?: (() => void) | undefined
}

/**
 * Reusable buffers for reads of immutable files not worth caching yet: a cold segment is read into a borrowed
 * buffer and the buffer returns when its response closes, so serving many distinct segments makes no 1.5 MB garbage
 * per request (fresh buffers measured ~10 full collections a second and a third of nginx's rate).
 */
export class BufferPool {
  readonly #free: Array<Uint8Array> = []
  readonly bufferBytes: number
  readonly keep: number
  constructor(bufferBytes: number, keep: number) {
    this.bufferBytes = bufferBytes
    this.keep = keep
  }
  take(): Uint8Array {
    return this.#free.pop() ?? new Uint8Array(this.bufferBytes)
  }
  give(buffer: Uint8Array) {
    if (this.#free.length < this.keep) this.#free.push(buffer)
  }
  get idle() {
    return this.#free.length
  }
}

/**
 * Immutable files kept open (backends with local files): a cold read is then one positional read instead of a path
 * check, an open, a stat, a read and a close. Least recently used first out; a file still being read is closed
 * when its last reader is done; files idle for a minute are closed, so deleted generations do not stay pinned.
 */
export class OpenFiles {
  readonly #held = new Map<
    string,
    { readonly opened: Promise<OpenBlobFile>; users: number; evicted: boolean; usedAt: number }
  >()
  #sweptAt = Date.now()
  readonly limit: number
  readonly idleMs: number
  constructor(limit: number, idleMs: number) {
    this.limit = limit
    this.idleMs = idleMs
  }

  /** Reads into `into` with the file open for `key` (opened with `open` when not held); answers its info and bytes. */
  async read(key: string, open: () => Promise<OpenBlobFile>, into: Uint8Array) {
    const now = Date.now()
    let held = this.#held.get(key)
    if (held === undefined) {
      held = { opened: open(), users: 0, evicted: false, usedAt: now }
      // A failed open is not kept: the next request tries again.
      const opening = held
      held.opened.catch(() => {
        if (this.#held.get(key) === opening) this.#held.delete(key)
      })
    } else {
      this.#held.delete(key)
    }
    this.#held.set(key, held)
    held.users++
    held.usedAt = now
    this.#trim(now)
    try {
      const file = await held.opened
      if (file.info.size > into.length) return { info: file.info, bytes: undefined }
      const length = await file.read(into, 0, file.info.size)
      return { info: file.info, bytes: into.subarray(0, length) }
    } finally {
      held.users--
      if (held.evicted && held.users === 0) this.#close(held)
    }
  }

  #trim(now: number) {
    const sweep = now - this.#sweptAt > this.idleMs / 6
    if (sweep) this.#sweptAt = now
    for (const [key, held] of this.#held) {
      const over = this.#held.size > this.limit
      if (!over && !(sweep && now - held.usedAt > this.idleMs)) {
        if (!sweep) break
        continue
      }
      this.#held.delete(key)
      held.evicted = true
      if (held.users === 0) this.#close(held)
    }
  }

  #close(held: { readonly opened: Promise<OpenBlobFile> }) {
    held.opened.then((file) => file.close()).catch(() => {})
  }

  get size() {
    return this.#held.size
  }
}

/** Keys seen once lately: a file enters the LRU on its second request, so one-off reads do not churn it. */
const SEEN_LIMIT = 50_000

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` → inclusive [start, end]; "unsatisfiable" or undefined (ignore the header). */
export const parseRange = (header: string | undefined, size: number) => {
  if (header === undefined) return undefined
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (match === null || (match[1] === "" && match[2] === "")) return undefined
  const [, from = "", to = ""] = match
  if (from === "") {
    const suffix = Number(to)
    if (suffix === 0) return "unsatisfiable" as const
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(from)
  const end = to === "" ? size - 1 : Math.min(Number(to), size - 1)
  if (start >= size || end < start) return "unsatisfiable" as const
  return { start, end }
}

const text = (res: ServerResponse, status: number, body: string) => {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body) })
  res.end(body)
}

const etagOf = (bytes: Uint8Array) => `"${createHash("sha256").update(bytes).digest("base64url").slice(0, 27)}"`

export class HlsEndpoint extends Context.Tag("@lectern/media/HlsEndpoint")<
  HlsEndpoint,
  {
    readonly handle: (req: IncomingMessage, res: ServerResponse) => void
    readonly cache: ByteLru
    readonly pool: BufferPool
    readonly openFiles: OpenFiles
  }
>() {}

const STATE_TTL_MS = 2000

export const HlsEndpointLive = Layer.effect(
  HlsEndpoint,
  Effect.gen(function* () {
    const settings = yield* MediaSettings
    const { cacheBytes } = yield* HlsSettings
    const secret = Redacted.value(settings.signingSecret)
    const blobs = yield* BlobStore
    const repo = yield* MediaRepo
    const runtime = yield* Effect.runtime<never>()
    const runPromiseExit = Runtime.runPromiseExit(runtime)
    const cache = new ByteLru(cacheBytes)
    const pool = new BufferPool(4 * 1024 * 1024, 64)
    const seen = new Set<string>()
    // The media's state for a moment: a player fetching segments does not cost a query each.
    const states = new Map<
      string,
      { readonly at: number; readonly media: MediaRow; captions: ReadonlyArray<CaptionRow> }
    >()

    /** Playlists always read it fresh (a deleted media stops at once); segments may use a state 2 s old. */
    const stateOf = (id: MediaId, fresh: boolean) =>
      Effect.gen(function* () {
        const now = Date.now()
        const known = states.get(id)
        if (!fresh && known !== undefined && now - known.at < STATE_TTL_MS) return Option.some(known)
        const media = yield* repo.mediaById(id)
        if (Option.isNone(media) || media.value.status !== "ready") {
          states.delete(id)
          return Option.none()
        }
        const state = { at: now, media: media.value, captions: yield* repo.captionsOf(id) }
        if (states.size > 10_000) states.clear()
        states.set(id, state)
        return Option.some(state)
      })

    const openFile = blobs.openFile
    const openFiles = new OpenFiles(256, 60_000)
    /** A cache miss read into `buffer`: through a held-open file where the backend has them, else a whole read. */
    const readCold = (key: string, buffer: Uint8Array) =>
      openFile === undefined
        ? blobs.read(key, undefined, buffer)
        : Effect.tryPromise({
            try: () =>
              openFiles.read(
                key,
                () =>
                  runPromiseExit(openFile(key)).then((exit) =>
                    Exit.isSuccess(exit) ? exit.value : Promise.reject(Cause.squash(exit.cause))
                  ),
                buffer
              ),
            catch: (cause) =>
              cause instanceof BlobNotFound ? cause : new BlobStoreUnavailable({ operation: "read", key, cause })
          }).pipe(
            Effect.flatMap(({ info, bytes }) =>
              bytes === undefined ? blobs.read(key, undefined, buffer) : Effect.succeed({ info, bytes })
            )
          )

    /** The bytes of `file` for this media, built (playlists) or read (everything else); None when not there. */
    const load = (id: MediaId, file: string) =>
      Effect.gen(function* () {
        const state = yield* stateOf(id, !isImmutableHlsFile(file))
        if (Option.isNone(state)) return Option.none<Served>()
        const { media, captions } = state.value
        if (file === "master.m3u8") {
          const body = new TextEncoder().encode(
            masterPlaylist({
              renditions: media.renditions,
              captions: captions.map(({ language, label }) => ({ language, label }))
            })
          )
          return Option.some<Served>({ bytes: body, etag: etagOf(body) })
        }
        const caption = /^captions\/([^/]+)\.(vtt|m3u8)$/.exec(file)
        if (caption !== null) {
          const language = caption[1] ?? ""
          if (!captions.some((known) => known.language === language)) return Option.none<Served>()
          if (caption[2] === "m3u8") {
            const body = new TextEncoder().encode(
              captionPlaylist({ durationSeconds: media.durationSeconds ?? 0, language })
            )
            return Option.some<Served>({ bytes: body, etag: etagOf(body) })
          }
          const read = yield* blobs.read(captionKey(id, language))
          return Option.some<Served>({ bytes: read.bytes, etag: `"${read.info.etag}"` })
        }
        const key = `${generationPrefix(id, media.generation)}${file}`
        const immutable = isImmutableHlsFile(file)
        if (!immutable) {
          const read = yield* blobs.read(key)
          return Option.some<Served>({ bytes: read.bytes, etag: `"${read.info.etag}"` })
        }
        const hit = cache.get(key)
        if (hit !== undefined) return Option.some<Served>(hit)
        if (cacheBytes > 0 && seen.has(key)) {
          // Asked for again: worth a buffer of its own in the LRU.
          const read = yield* blobs.read(key)
          const served = { bytes: read.bytes, etag: `"${read.info.etag}"` }
          cache.set(key, served)
          seen.delete(key)
          return Option.some<Served>(served)
        }
        if (cacheBytes > 0) {
          if (seen.size >= SEEN_LIMIT) seen.clear()
          seen.add(key)
        }
        const buffer = pool.take()
        const read = yield* readCold(key, buffer).pipe(Effect.onError(() => Effect.sync(() => pool.give(buffer))))
        const borrowed = read.bytes.buffer === buffer.buffer
        if (!borrowed) pool.give(buffer)
        return Option.some<Served>({
          bytes: read.bytes,
          etag: `"${read.info.etag}"`,
          release: borrowed ? () => pool.give(buffer) : undefined
        })
      }).pipe(Effect.catchTag("BlobNotFound", () => Effect.succeed(Option.none<Served>())))

    const respond = (req: IncomingMessage, res: ServerResponse, file: string, served: Served, expiresAt: Date) => {
      const immutable = isImmutableHlsFile(file)
      const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000))
      // One header object for writeHead: cheaper than a setHeader call per header on the hot path.
      const headers: Record<string, string | number> = {
        "content-type": contentTypeOfHlsFile(file),
        etag: served.etag,
        "accept-ranges": "bytes",
        "cache-control": immutable
          ? `private, max-age=${maxAge}, immutable`
          : `private, max-age=${Math.min(maxAge, 60)}`
      }
      const ifNoneMatch = req.headers["if-none-match"]
      if (ifNoneMatch?.split(",").some((tag) => tag.trim() === served.etag)) {
        res.writeHead(304, headers)
        return res.end()
      }
      const size = served.bytes.length
      const range = parseRange(req.headers.range, size)
      if (range === "unsatisfiable") {
        headers["content-range"] = `bytes */${size}`
        res.writeHead(416, headers)
        return res.end()
      }
      const body = range === undefined ? served.bytes : served.bytes.subarray(range.start, range.end + 1)
      if (range !== undefined) headers["content-range"] = `bytes ${range.start}-${range.end}/${size}`
      headers["content-length"] = body.length
      res.writeHead(range === undefined ? 200 : 206, headers)
      res.end(req.method === "HEAD" ? undefined : body)
    }

    /** A segment (or poster, sprite) already in the LRU of a media whose state is fresh: no fiber, no query. */
    const cachedHit = (id: string, file: string) => {
      if (cacheBytes === 0 || !isImmutableHlsFile(file)) return undefined
      const known = states.get(id)
      if (known === undefined || Date.now() - known.at >= STATE_TTL_MS) return undefined
      return cache.get(`${generationPrefix(known.media.id, known.media.generation)}${file}`)
    }

    const handle = (req: IncomingMessage, res: ServerResponse) => {
      if (req.method !== "GET" && req.method !== "HEAD") return text(res, 405, "method not allowed\n")
      const path = parseHlsPath((req.url ?? "").split("?", 1)[0] ?? "")
      if (path === undefined) return text(res, 404, "not found\n")
      const verified = verifyPlayback({ secret, mediaId: path.mediaId, token: path.token, now: new Date() })
      if (Either.isLeft(verified)) return text(res, 403, "this playback link is invalid or has expired\n")
      const hit = cachedHit(path.mediaId, path.file)
      if (hit !== undefined) return respond(req, res, path.file, hit, verified.right.expiresAt)
      runPromiseExit(load(path.mediaId as MediaId, path.file)).then((exit) => {
        if (Exit.isFailure(exit)) return text(res, 503, "media storage unavailable\n")
        if (Option.isNone(exit.value)) return text(res, 404, "not found\n")
        const served = exit.value.value
        // The socket is done with the bytes once the response closes (finished or aborted).
        if (served.release !== undefined) res.once("close", served.release)
        respond(req, res, path.file, served, verified.right.expiresAt)
      })
    }
    return { handle, cache, pool, openFiles }
  })
)
