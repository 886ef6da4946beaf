// The BlobStore port on the local filesystem (the embedded default): one file per key under a root directory.
//
// Writes go to a fresh file in `<root>/.tmp` and are renamed into place, so readers never see a partial object and
// a failed write leaves nothing. No path component may be a symbolic link (the store never makes any), so no key
// reaches outside the root. A file holds no metadata: the content type comes from the key's extension, and the
// ETag from size, modification time in nanoseconds and inode (a rename puts a new inode in place on every write).
import { randomUUID } from "node:crypto"
import { type BigIntStats, constants, type Dirent } from "node:fs"
import * as fs from "node:fs/promises"
import { dirname, join, resolve } from "node:path"
import { type Chunk, Effect, Layer, Option, Stream } from "effect"
import { contentTypeOf } from "./BlobContentTypes.ts"
import {
  type BlobInfo,
  BlobNotFound,
  BlobStore,
  type BlobStoreService,
  BlobStoreUnavailable,
  type ByteRange,
  InvalidBlobKey,
  keyProblem,
  type OpenBlobFile,
  prefixProblem,
  RangeNotSatisfiable
} from "./BlobStore.ts"

/** Temporary files and deleted directories on their way out; a key cannot start with this segment. */
const TEMP_DIR = ".tmp"
/** Chunk size of `get` streams: few large reads, which is what serving segments wants. */
const STREAM_CHUNK_BYTES = 1024 * 1024
/** Temporary entries older than this at start-up were left by a crash (a live write is far quicker). */
const STALE_TEMP_MS = 24 * 60 * 60 * 1000
/** Files copied at once by copyPrefix. */
const COPY_CONCURRENCY = 8
/** Files stat'ed at once by list. */
const STAT_CONCURRENCY = 32

export interface BlobStoreFsOptions {
  /** The directory holding the objects; created when missing. */
  readonly root: string
}

/** `"<size>-<mtime ns>-<inode>"`, each in base 36. */
export const etagOf = (stats: BigIntStats): string =>
  `${stats.size.toString(36)}-${stats.mtimeNs.toString(36)}-${stats.ino.toString(36)}`

const infoOf = (key: string, stats: BigIntStats): BlobInfo => ({
  key,
  size: Number(stats.size),
  etag: etagOf(stats),
  contentType: contentTypeOf(key),
  lastModified: new Date(Number(stats.mtimeMs))
})

const errnoOf = (cause: unknown): string | undefined =>
  typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
    ? cause.code
    : undefined

/** Whether `error` is a backend failure with one of these errno codes. */
const hasCode =
  (...codes: ReadonlyArray<string>) =>
  (error: unknown): boolean =>
    error instanceof BlobStoreUnavailable && codes.includes(errnoOf(error.cause) ?? "")

const io = <A>(operation: string, key: string, run: () => Promise<A>) =>
  Effect.tryPromise({ try: run, catch: (cause) => new BlobStoreUnavailable({ operation, key, cause }) })

const reservedProblem = (name: string) =>
  name.split("/")[0] === TEMP_DIR ? `${TEMP_DIR}/ is reserved for the filesystem store's temporary files` : undefined

const checkKey = (key: string) => {
  const reason = keyProblem(key) ?? reservedProblem(key)
  return reason === undefined ? Effect.void : Effect.fail(new InvalidBlobKey({ key, reason }))
}

const checkPrefix = (prefix: string) => {
  const reason = prefixProblem(prefix) ?? reservedProblem(prefix)
  return reason === undefined ? Effect.void : Effect.fail(new InvalidBlobKey({ key: prefix, reason }))
}

/** Copying or moving a prefix into itself (or out of its own parent) has no sensible meaning. */
const checkDistinct = (from: string, to: string) =>
  from.startsWith(to) || to.startsWith(from)
    ? Effect.fail(new InvalidBlobKey({ key: to, reason: `overlaps the source prefix ${JSON.stringify(from)}` }))
    : Effect.void

const throughLink = (key: string) =>
  new InvalidBlobKey({ key, reason: "resolves through a symbolic link on the filesystem" })

const nameConflict = (key: string) =>
  new InvalidBlobKey({ key, reason: "on the filesystem, an object and a prefix cannot share a name" })

/** Which fully resolved range of an object of `size` bytes `range` asks for. */
const resolveRange = (
  key: string,
  size: number,
  range: ByteRange | undefined
): Effect.Effect<{ readonly start: number; readonly length: number }, RangeNotSatisfiable> => {
  if (range === undefined) return Effect.succeed({ start: 0, length: size })
  const { start, end } = range
  const wellFormed =
    Number.isSafeInteger(start) && start >= 0 && (end === undefined || (Number.isSafeInteger(end) && end >= start))
  if (!wellFormed || start >= size) return Effect.fail(new RangeNotSatisfiable({ key, size }))
  return Effect.succeed({ start, length: Math.min(end ?? size - 1, size - 1) - start + 1 })
}

/** Orders keys by code point, which is the UTF-8 byte order S3 lists in. */
const compareKeys = (a: string, b: string): number => {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const difference = (a.codePointAt(i) ?? 0) - (b.codePointAt(i) ?? 0)
    if (difference !== 0) return difference
  }
  return a.length - b.length
}

/** Writes every byte of `buffers` at the handle's position (writev may write less than asked, like write). */
const writeAll = async (handle: fs.FileHandle, buffers: ReadonlyArray<Uint8Array>) => {
  const { bytesWritten } = await handle.writev(buffers as Array<Uint8Array>)
  let skip = bytesWritten
  for (const buffer of buffers) {
    if (skip >= buffer.length) {
      skip -= buffer.length
      continue
    }
    let offset = skip
    skip = 0
    while (offset < buffer.length) offset += (await handle.write(buffer, offset)).bytesWritten
  }
}

/** The keys of every regular file under `dir` (its names prefixed with `keyPrefix`), not following links. */
const walk = async (dir: string, keyPrefix: string, skipTemp: boolean): Promise<Array<string>> => {
  let entries: Array<Dirent>
  try {
    entries = await fs.readdir(dir, { withFileTypes: true })
  } catch (error) {
    // Gone or replaced by a file since it was seen: nothing is under it any more.
    if (errnoOf(error) === "ENOENT" || errnoOf(error) === "ENOTDIR") return []
    throw error
  }
  const keys: Array<string> = []
  for (const entry of entries) {
    if (skipTemp && entry.name === TEMP_DIR) continue
    const key = keyPrefix + entry.name
    if (entry.isDirectory()) for (const nested of await walk(join(dir, entry.name), `${key}/`, false)) keys.push(nested)
    // A file named so that no key can reach it (a backslash, a control character) was not written by this store.
    else if (entry.isFile() && keyProblem(key) === undefined) keys.push(key)
  }
  return keys
}

/** Builds the store on `root`, creating it (and its temporary directory) and clearing temporary files of a crash. */
export const makeFs = (root: string): Effect.Effect<BlobStoreService, BlobStoreUnavailable> =>
  Effect.gen(function* () {
    const base = yield* io("open the store", root, async () => {
      await fs.mkdir(join(resolve(root), TEMP_DIR), { recursive: true })
      return fs.realpath(resolve(root))
    })
    const temp = join(base, TEMP_DIR)
    yield* io("clear stale temporary files", temp, async () => {
      const cutoff = Date.now() - STALE_TEMP_MS
      for (const name of await fs.readdir(temp)) {
        const stats = await fs.lstat(join(temp, name))
        if (stats.mtimeMs < cutoff) await fs.rm(join(temp, name), { recursive: true, force: true })
      }
    })

    const pathOf = (key: string) => join(base, ...key.split("/"))
    const prefixPath = (prefix: string) => (prefix === "" ? base : pathOf(prefix.slice(0, -1)))
    const tempPath = (purpose: string) => join(temp, `${purpose}-${randomUUID()}`)

    /** "real" when `path` exists and no component of it is a link, "missing" when it does not exist. */
    const realState = (operation: string, key: string, path: string) =>
      io(operation, key, () => fs.realpath(path)).pipe(
        Effect.map((real) => (real === path ? ("real" as const) : ("linked" as const))),
        Effect.catchIf(hasCode("ENOENT", "ENOTDIR"), () => Effect.succeed("missing" as const)),
        Effect.flatMap((state) => (state === "linked" ? Effect.fail(throughLink(key)) : Effect.succeed(state)))
      )

    const parentState = (operation: string, key: string, path: string) =>
      dirname(path) === base ? Effect.succeed("real" as const) : realState(operation, key, dirname(path))

    /** Creates the parent directories of `path`, after checking that the deepest existing one is no link. */
    const ensureParent = (operation: string, key: string, path: string) =>
      Effect.gen(function* () {
        const parent = dirname(path)
        let existing = parent
        while (existing !== base && (yield* realState(operation, key, existing)) === "missing") {
          existing = dirname(existing)
        }
        if (existing === parent) return
        yield* io(operation, key, () => fs.mkdir(parent, { recursive: true })).pipe(
          Effect.catchIf(hasCode("EEXIST", "ENOTDIR"), () => Effect.fail(nameConflict(key)))
        )
        yield* realState(operation, key, parent)
      })

    /** Removes `dir` and then each parent up to the root while they are empty, so names can be reused as keys. */
    const pruneEmpty = (operation: string, key: string, dir: string) =>
      io(operation, key, async () => {
        for (let current = dir; current !== base && current.startsWith(base); current = dirname(current)) {
          try {
            await fs.rmdir(current)
          } catch (error) {
            const code = errnoOf(error)
            if (code === "ENOTEMPTY" || code === "EEXIST" || code === "ENOENT" || code === "ENOTDIR") return
            throw error
          }
        }
      })

    const removeQuietly = (path: string) =>
      Effect.tryPromise(() => fs.rm(path, { recursive: true, force: true })).pipe(
        Effect.catchAll((error) => Effect.logWarning(`could not remove ${path}`, error))
      )

    /**
     * Writes the object into a fresh temporary file with `write`, then renames it into place. A concurrent delete
     * may prune the freshly made parent directory before the rename; that rename is simply tried again.
     */
    const writeThenPlace = <E>(
      operation: string,
      key: string,
      write: (path: string) => Effect.Effect<BigIntStats, E>
    ): Effect.Effect<BlobInfo, E | InvalidBlobKey | BlobStoreUnavailable> => {
      const staged = tempPath("put")
      const target = pathOf(key)
      const place = ensureParent(operation, key, target).pipe(
        Effect.zipRight(io(operation, key, () => fs.rename(staged, target))),
        Effect.retry({ times: 3, while: hasCode("ENOENT") }),
        Effect.catchIf(hasCode("EISDIR", "ENOTEMPTY", "EEXIST", "ENOTDIR"), () => Effect.fail(nameConflict(key)))
      )
      return write(staged).pipe(
        Effect.flatMap((stats) => Effect.as(place, infoOf(key, stats))),
        Effect.onError(() => removeQuietly(staged))
      )
    }

    const closeQuietly = (handle: fs.FileHandle) =>
      Effect.tryPromise(() => handle.close()).pipe(
        Effect.catchAll((error) => Effect.logWarning("could not close a blob file", error))
      )

    /** Creates the file at `path` (which must not exist), lets `use` fill it, and closes it whatever happens. */
    const withNewFile = <E>(
      operation: string,
      key: string,
      path: string,
      use: (handle: fs.FileHandle) => Effect.Effect<BigIntStats, E>
    ) =>
      Effect.acquireUseRelease(
        io(operation, key, () => fs.open(path, "wx")),
        use,
        closeQuietly
      )

    /** Opens the object's file for reading (never through a link) with its stats; the caller closes the handle. */
    const openObject = (operation: string, key: string) =>
      Effect.gen(function* () {
        yield* checkKey(key)
        const path = pathOf(key)
        if ((yield* parentState(operation, key, path)) === "missing") return yield* new BlobNotFound({ key })
        const handle = yield* io(operation, key, () => fs.open(path, constants.O_RDONLY | constants.O_NOFOLLOW)).pipe(
          Effect.catchIf(hasCode("ENOENT", "ENOTDIR"), () => Effect.fail(new BlobNotFound({ key }))),
          Effect.catchIf(hasCode("ELOOP"), () => Effect.fail(throughLink(key)))
        )
        const stats = yield* io(operation, key, () => handle.stat({ bigint: true })).pipe(
          Effect.tapError(() => closeQuietly(handle))
        )
        if (!stats.isFile()) {
          yield* closeQuietly(handle)
          return yield* new BlobNotFound({ key })
        }
        return { handle, stats }
      })

    /** The object's stats without opening it, or None; a link where the object should be is refused. */
    const statObject = (operation: string, key: string) =>
      Effect.gen(function* () {
        yield* checkKey(key)
        const path = pathOf(key)
        if ((yield* parentState(operation, key, path)) === "missing") return Option.none<BigIntStats>()
        const stats = yield* io(operation, key, () => fs.lstat(path, { bigint: true })).pipe(
          Effect.map(Option.some),
          Effect.catchIf(hasCode("ENOENT", "ENOTDIR"), () => Effect.succeed(Option.none<BigIntStats>()))
        )
        if (Option.isSome(stats) && stats.value.isSymbolicLink()) return yield* Effect.fail(throughLink(key))
        return Option.filter(stats, (stats) => stats.isFile())
      })

    /** The keys under `prefix`, after checking no link leads there. */
    const keysUnder = (operation: string, prefix: string) =>
      Effect.gen(function* () {
        const dir = prefixPath(prefix)
        if ((yield* realState(operation, prefix, dir)) === "missing") return []
        return yield* io(operation, prefix, () => walk(dir, prefix, prefix === ""))
      })

    /** Moves `dir` (or, for the root, every entry but the temporary directory) into a fresh trash directory. */
    const trash = (operation: string, prefix: string, dir: string) =>
      io(operation, prefix, async () => {
        const bin = tempPath("trash")
        if (dir !== base) {
          await fs.rename(dir, bin)
          return bin
        }
        await fs.mkdir(bin)
        for (const name of await fs.readdir(base))
          if (name !== TEMP_DIR) await fs.rename(join(base, name), join(bin, name))
        return bin
      })

    /** What is at a prefix's directory: a file there is an object named like the prefix, not something under it. */
    const kindOf = (operation: string, prefix: string, dir: string) =>
      Effect.gen(function* () {
        if ((yield* realState(operation, prefix, dir)) === "missing") return "missing" as const
        const stats = yield* io(operation, prefix, () => fs.lstat(dir))
        return stats.isDirectory() ? ("directory" as const) : ("file" as const)
      })

    const deleteByPrefix = (prefix: string) =>
      Effect.gen(function* () {
        yield* checkPrefix(prefix)
        const dir = prefixPath(prefix)
        if ((yield* kindOf("deleteByPrefix", prefix, dir)) !== "directory") return 0
        // Moved aside first, so the objects disappear at once and the count is exactly what was removed.
        const bin = yield* trash("deleteByPrefix", prefix, dir).pipe(
          Effect.map(Option.some),
          Effect.catchIf(hasCode("ENOENT"), () => Effect.succeed(Option.none()))
        )
        if (Option.isNone(bin)) return 0
        const count = (yield* io("deleteByPrefix", prefix, () => walk(bin.value, "", false))).length
        yield* io("deleteByPrefix", prefix, () => fs.rm(bin.value, { recursive: true, force: true }))
        if (dir !== base) yield* pruneEmpty("deleteByPrefix", prefix, dirname(dir))
        return count
      })

    const copyPrefix = (from: string, to: string) =>
      Effect.gen(function* () {
        yield* checkPrefix(from)
        yield* checkPrefix(to)
        yield* checkDistinct(from, to)
        const keys = yield* keysUnder("copyPrefix", from)
        yield* Effect.forEach(
          keys,
          (key) => {
            const target = to + key.slice(from.length)
            return writeThenPlace("copyPrefix", target, (staged) =>
              io("copyPrefix", target, async () => {
                await fs.copyFile(pathOf(key), staged, constants.COPYFILE_FICLONE)
                return fs.stat(staged, { bigint: true })
              })
            )
          },
          { concurrency: COPY_CONCURRENCY, discard: true }
        )
        return keys.length
      })

    const movePrefix = (from: string, to: string) =>
      Effect.gen(function* () {
        yield* checkPrefix(from)
        yield* checkPrefix(to)
        yield* checkDistinct(from, to)
        const fromDir = prefixPath(from)
        const toDir = prefixPath(to)
        const moving = (yield* kindOf("movePrefix", from, fromDir)) === "directory"
        if (moving) yield* ensureParent("movePrefix", to, toDir)
        const target = yield* kindOf("movePrefix", to, toDir)
        if (target === "file") return yield* Effect.fail(nameConflict(to))
        // `to`'s old objects go aside (one rename), `from` takes their place (one more), then the old ones go.
        const old = target === "directory" ? Option.some(yield* trash("movePrefix", to, toDir)) : Option.none<string>()
        let count = 0
        if (moving) {
          count = (yield* io("movePrefix", from, () => walk(fromDir, "", false))).length
          yield* io("movePrefix", from, () => fs.rename(fromDir, toDir)).pipe(
            Effect.tapError(() =>
              Option.isNone(old)
                ? Effect.void
                : io("movePrefix", to, () => fs.rename(old.value, toDir)).pipe(
                    Effect.catchAll((error) => Effect.logError(`could not put ${to} back from ${old.value}`, error))
                  )
            )
          )
        }
        yield* moving ? pruneEmpty("movePrefix", from, dirname(fromDir)) : pruneEmpty("movePrefix", to, dirname(toDir))
        if (Option.isSome(old)) yield* io("movePrefix", to, () => fs.rm(old.value, { recursive: true, force: true }))
        return count
      })

    return BlobStore.of({
      put: (key, body, _options) =>
        checkKey(key).pipe(
          Effect.zipRight(
            writeThenPlace("put", key, (staged) =>
              withNewFile("put", key, staged, (handle) =>
                io("put", key, async () => {
                  await handle.writeFile(body)
                  return handle.stat({ bigint: true })
                })
              )
            )
          )
        ),

      putStream: (key, body, _options) =>
        checkKey(key).pipe(
          Effect.zipRight(
            writeThenPlace("putStream", key, (staged) =>
              withNewFile("putStream", key, staged, (handle) =>
                Stream.runForEachChunk(body, (chunk: Chunk.Chunk<Uint8Array>) =>
                  io("putStream", key, () => writeAll(handle, [...chunk]))
                ).pipe(Effect.zipRight(io("putStream", key, () => handle.stat({ bigint: true }))))
              )
            )
          )
        ),

      putFile: (key, path, _options) =>
        checkKey(key).pipe(
          Effect.zipRight(
            writeThenPlace("putFile", key, (staged) =>
              io("putFile", key, async () => {
                await fs.copyFile(path, staged, constants.COPYFILE_FICLONE)
                return fs.stat(staged, { bigint: true })
              })
            )
          )
        ),

      get: (key, range) =>
        Effect.uninterruptibleMask((restore) =>
          openObject("get", key).pipe(
            Effect.flatMap(({ handle, stats }) =>
              restore(resolveRange(key, Number(stats.size), range)).pipe(
                Effect.flatMap(({ start, length }) =>
                  length === 0
                    ? Effect.as(closeQuietly(handle), Stream.empty)
                    : Effect.succeed(
                        // The read stream closes the handle when it ends, fails or is interrupted; a body never
                        // run keeps the file open until garbage collection, so callers run (or drop) it promptly.
                        Stream.fromAsyncIterable(
                          handle.createReadStream({
                            start,
                            end: start + length - 1,
                            highWaterMark: STREAM_CHUNK_BYTES
                          }) as AsyncIterable<Uint8Array>,
                          (cause) => new BlobStoreUnavailable({ operation: "get", key, cause })
                        )
                      )
                ),
                Effect.map((body) => ({ info: infoOf(key, stats), body })),
                Effect.tapError(() => closeQuietly(handle))
              )
            )
          )
        ),

      read: (key, range, into) =>
        Effect.acquireUseRelease(
          openObject("read", key),
          ({ handle, stats }) =>
            resolveRange(key, Number(stats.size), range).pipe(
              Effect.flatMap(({ start, length }) =>
                io("read", key, async () => {
                  const buffer =
                    into !== undefined && into.length >= length
                      ? Buffer.from(into.buffer, into.byteOffset, length)
                      : Buffer.allocUnsafeSlow(length)
                  let filled = 0
                  // One read of the whole range; more only if the kernel hands back less (ranges beyond 2 GiB).
                  while (filled < length) {
                    const { bytesRead } = await handle.read(buffer, filled, length - filled, start + filled)
                    if (bytesRead === 0) throw new Error(`the file ended ${length - filled} bytes early`)
                    filled += bytesRead
                  }
                  return new Uint8Array(buffer.buffer, buffer.byteOffset, length)
                })
              ),
              Effect.map((bytes) => ({ info: infoOf(key, stats), bytes }))
            ),
          ({ handle }) => closeQuietly(handle)
        ),

      head: (key) => statObject("head", key).pipe(Effect.map(Option.map((stats) => infoOf(key, stats)))),

      delete: (key) =>
        Effect.gen(function* () {
          yield* checkKey(key)
          const path = pathOf(key)
          if ((yield* parentState("delete", key, path)) === "missing") return
          const removed = yield* io("delete", key, () => fs.unlink(path)).pipe(
            Effect.as(true),
            // Missing, or a directory: there is no object by that name.
            Effect.catchIf(hasCode("ENOENT", "ENOTDIR", "EISDIR"), () => Effect.succeed(false))
          )
          if (removed) yield* pruneEmpty("delete", key, dirname(path))
        }),

      deleteByPrefix,

      list: (prefix) =>
        Effect.gen(function* () {
          yield* checkPrefix(prefix)
          const keys = yield* keysUnder("list", prefix)
          const infos = yield* Effect.forEach(
            keys,
            (key) =>
              io("list", key, () => fs.lstat(pathOf(key), { bigint: true })).pipe(
                Effect.map((stats) => (stats.isFile() ? [infoOf(key, stats)] : [])),
                // Deleted since the walk saw it.
                Effect.catchIf(hasCode("ENOENT", "ENOTDIR"), () => Effect.succeed([]))
              ),
            { concurrency: STAT_CONCURRENCY }
          )
          return infos.flat().sort((a, b) => compareKeys(a.key, b.key))
        }),

      copyPrefix,
      movePrefix,

      signedUrl: (key) => checkKey(key).pipe(Effect.as(Option.none())),

      localFile: (key) =>
        statObject("localFile", key).pipe(
          Effect.flatMap(
            Option.match({
              onNone: () => Effect.fail(new BlobNotFound({ key })),
              onSome: () => Effect.succeed(pathOf(key))
            })
          )
        ),

      openFile: (key) =>
        Effect.map(openObject("openFile", key), ({ handle, stats }): OpenBlobFile => {
          let closed: Promise<void> | undefined
          return {
            info: infoOf(key, stats),
            read: async (into, position, length) => {
              let filled = 0
              while (filled < length) {
                const { bytesRead } = await handle.read(into, filled, length - filled, position + filled)
                if (bytesRead === 0) break
                filled += bytesRead
              }
              return filled
            },
            close: () => {
              closed ??= handle.close().catch(() => {})
              return closed
            }
          }
        }),

      ping: io("ping", "", () => fs.stat(base)).pipe(
        Effect.filterOrFail(
          (stats) => stats.isDirectory(),
          () => new BlobStoreUnavailable({ operation: "ping", key: "", cause: `${base} is not a directory` })
        ),
        Effect.asVoid
      )
    })
  })

/** The filesystem BlobStore on `root` (created when missing). */
export const layerFs = (options: BlobStoreFsOptions): Layer.Layer<BlobStore, BlobStoreUnavailable> =>
  Layer.effect(BlobStore, makeFs(options.root))
