// The BlobStore port: named byte objects (uploads, renditions, posters, captions) on the filesystem or S3.
//
// Keys are `/`-separated relative names (`media/<id>/720p/segment-00001.ts`). A key is checked before any backend
// sees it: no empty segments, no `.`/`..`, no backslashes or control characters, at most 1024 bytes, so no key can
// name anything outside the store. Prefixes end with `/` (or are empty for "everything").
import { Context, Data, type Duration, type Effect, type Option, type Scope, type Stream } from "effect"

/** The key is not a valid object name (it could escape the store, or the backend cannot hold it). */
export class InvalidBlobKey extends Data.TaggedError("InvalidBlobKey")<{
  readonly key: string
  readonly reason: string
}> {}

export class BlobNotFound extends Data.TaggedError("BlobNotFound")<{ readonly key: string }> {}

/** A requested byte range lies outside the object (HTTP 416). */
export class RangeNotSatisfiable extends Data.TaggedError("RangeNotSatisfiable")<{
  readonly key: string
  readonly size: number
}> {}

/** The backend failed (disk, network, permissions); `operation` says what was being done. */
export class BlobStoreUnavailable extends Data.TaggedError("BlobStoreUnavailable")<{
  readonly operation: string
  readonly key: string
  readonly cause: unknown
}> {}

export interface BlobInfo {
  readonly key: string
  readonly size: number
  /** Changes whenever the bytes do; quoted form is the HTTP ETag. */
  readonly etag: string
  readonly contentType: string | undefined
  readonly lastModified: Date
}

/** Inclusive byte range, as in HTTP `Range: bytes=start-end`; `end` omitted means "to the last byte". */
export interface ByteRange {
  readonly start: number
  readonly end?: number
}

export interface PutOptions {
  readonly contentType?: string
}

export type BlobBody = Uint8Array | string

export interface BlobStoreService {
  /** Writes the whole object at once (small objects: playlists, captions, manifests). Replaces any existing one. */
  readonly put: (
    key: string,
    body: BlobBody,
    options?: PutOptions
  ) => Effect.Effect<BlobInfo, InvalidBlobKey | BlobStoreUnavailable>
  /**
   * Streams an object in (uploads, renditions); large bodies go multipart on S3 and to a temporary file renamed into
   * place on the filesystem, so a reader never sees a half-written object. A failing stream leaves nothing behind.
   */
  readonly putStream: <E>(
    key: string,
    body: Stream.Stream<Uint8Array, E>,
    options?: PutOptions
  ) => Effect.Effect<BlobInfo, InvalidBlobKey | BlobStoreUnavailable | E>
  /** Copies a local file in (FFmpeg output), without reading it through JavaScript where the backend allows. */
  readonly putFile: (
    key: string,
    path: string,
    options?: PutOptions
  ) => Effect.Effect<BlobInfo, InvalidBlobKey | BlobStoreUnavailable>
  /** Streams an object (or a byte range of it) out. */
  readonly get: (
    key: string,
    range?: ByteRange
  ) => Effect.Effect<
    { readonly info: BlobInfo; readonly body: Stream.Stream<Uint8Array, BlobStoreUnavailable> },
    InvalidBlobKey | BlobNotFound | RangeNotSatisfiable | BlobStoreUnavailable
  >
  /**
   * Reads a whole object (or a byte range) into memory in as few reads as possible (segments, playlists). With
   * `into` large enough for the bytes, they are read into it and `bytes` is a view of it (a caller serving many
   * large objects reuses buffers instead of making garbage); otherwise a new buffer is allocated.
   */
  readonly read: (
    key: string,
    range?: ByteRange,
    into?: Uint8Array
  ) => Effect.Effect<
    { readonly info: BlobInfo; readonly bytes: Uint8Array },
    InvalidBlobKey | BlobNotFound | RangeNotSatisfiable | BlobStoreUnavailable
  >
  readonly head: (key: string) => Effect.Effect<Option.Option<BlobInfo>, InvalidBlobKey | BlobStoreUnavailable>
  /** Deleting a missing object is not an error. */
  readonly delete: (key: string) => Effect.Effect<void, InvalidBlobKey | BlobStoreUnavailable>
  /** Deletes every object under `prefix`; answers how many there were. */
  readonly deleteByPrefix: (prefix: string) => Effect.Effect<number, InvalidBlobKey | BlobStoreUnavailable>
  /** Every object under `prefix`, sorted by key. */
  readonly list: (prefix: string) => Effect.Effect<ReadonlyArray<BlobInfo>, InvalidBlobKey | BlobStoreUnavailable>
  /** Copies every object under `from` to the same relative key under `to`; answers how many. */
  readonly copyPrefix: (from: string, to: string) => Effect.Effect<number, InvalidBlobKey | BlobStoreUnavailable>
  /**
   * Moves every object under `from` to `to`, replacing whatever `to` held. On the filesystem this is one directory
   * rename (atomic); on S3 it is copy-then-delete, so callers make a commit visible by a database flag, not by this.
   */
  readonly movePrefix: (from: string, to: string) => Effect.Effect<number, InvalidBlobKey | BlobStoreUnavailable>
  /** A URL a client can GET directly until `expiresIn` passes, where the backend has one (S3); None otherwise. */
  readonly signedUrl: (
    key: string,
    expiresIn: Duration.DurationInput
  ) => Effect.Effect<Option.Option<string>, InvalidBlobKey | BlobStoreUnavailable>
  /**
   * A local file holding the object for tools that need a path (ffprobe, FFmpeg): the file itself on the filesystem
   * backend, a temporary download on S3 removed when the scope closes.
   */
  readonly localFile: (
    key: string
  ) => Effect.Effect<string, InvalidBlobKey | BlobNotFound | BlobStoreUnavailable, Scope.Scope>
  /** Answers whether the backend is reachable (for `/ready`). */
  readonly ping: Effect.Effect<void, BlobStoreUnavailable>
  /**
   * Opens an object for repeated positional reads, where the backend has local files (the filesystem; undefined on
   * S3): a server of immutable objects keeps a few open and pays one read per request instead of a lookup, an
   * open, a stat and a close. The handle reads the object as it was when opened, even once it is deleted.
   */
  readonly openFile?: (key: string) => Effect.Effect<OpenBlobFile, InvalidBlobKey | BlobNotFound | BlobStoreUnavailable>
}

/** An object opened with `openFile`. */
export interface OpenBlobFile {
  readonly info: BlobInfo
  /** Reads `length` bytes from `position` into `into` at 0 (fewer only at the end); answers how many. */
  readonly read: (into: Uint8Array, position: number, length: number) => Promise<number>
  /** Idempotent. */
  readonly close: () => Promise<void>
}

export class BlobStore extends Context.Tag("@lectern/platform/BlobStore")<BlobStore, BlobStoreService>() {}

const MAX_KEY_BYTES = 1024

/** Why `key` is not a valid object key, or undefined when it is. Shared by every backend. */
export const keyProblem = (key: string): string | undefined => {
  if (key.length === 0) return "empty"
  if (new TextEncoder().encode(key).length > MAX_KEY_BYTES) return `longer than ${MAX_KEY_BYTES} bytes`
  if (key.startsWith("/")) return "absolute"
  if (key.includes("\\")) return "contains a backslash"
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(key)) return "contains a control character"
  for (const segment of key.split("/")) {
    if (segment === "") return "has an empty segment"
    if (segment === "." || segment === "..") return "has a . or .. segment"
  }
  return undefined
}

/** Why `prefix` is not a valid prefix: empty, or a valid key followed by `/`. */
export const prefixProblem = (prefix: string): string | undefined => {
  if (prefix === "") return undefined
  if (!prefix.endsWith("/")) return "does not end with /"
  return keyProblem(prefix.slice(0, -1))
}
