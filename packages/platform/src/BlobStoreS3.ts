// The BlobStore port on S3 or an S3-compatible store (MinIO, R2, s3rver): one object per key in one bucket.
//
// Streams and files go up with lib-storage's Upload (multipart beyond one 8 MiB part, four parts in flight), which
// commits nothing until the last part is in, so a failing stream leaves no object. copyPrefix and movePrefix copy
// object by object with CopyObject (at most 5 GiB each) and are not atomic: movePrefix deletes what `to` held, copies,
// then deletes the copied sources, so callers make a move visible through a database flag, not through this.
// ETags are S3's (an MD5, or `<md5>-<parts>` for multipart uploads); content types are stored with the object (the
// put option, else the one the extension implies).
import { createReadStream, createWriteStream } from "node:fs"
import { mkdtemp, rm, stat } from "node:fs/promises"
import { tmpdir } from "node:os"
import { basename, join } from "node:path"
import { PassThrough, Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import {
  type BucketLocationConstraint,
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig
} from "@aws-sdk/client-s3"
import { Upload } from "@aws-sdk/lib-storage"
import { getSignedUrl } from "@aws-sdk/s3-request-presigner"
import { type Chunk, Duration, Effect, Exit, Layer, Option, Redacted, type Scope, Stream } from "effect"
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
  type PutOptions,
  prefixProblem,
  RangeNotSatisfiable
} from "./BlobStore.ts"

export interface BlobStoreS3Settings {
  readonly bucket: string
  /** Default `us-east-1`. */
  readonly region?: string
  /** For S3-compatible stores, e.g. `http://127.0.0.1:9000`; AWS itself when omitted. */
  readonly endpoint?: string
  /** Both or neither; without them the SDK's default chain (environment, profile, instance role) applies. */
  readonly accessKeyId?: string
  readonly secretAccessKey?: Redacted.Redacted
  /** `https://endpoint/bucket/key` rather than `https://bucket.endpoint/key`; most S3-compatible stores need it. */
  readonly forcePathStyle?: boolean
  /** Keys per ListObjectsV2 page and per DeleteObjects batch: 1000 (S3's maximum) unless a test wants paging. */
  readonly pageSize?: number
}

/** A GetObject answer: the whole object's info, the body, and which bytes it holds when a range was asked for. */
interface FetchedObject {
  readonly info: BlobInfo
  readonly body: Readable
  readonly answered?: { readonly start: number; readonly end: number }
}

/** Parts of a multipart upload: S3 wants at least 5 MiB, and 10 000 parts of 8 MiB reach 78 GiB. */
const PART_SIZE = 8 * 1024 * 1024
const PARTS_IN_FLIGHT = 4
const COPY_CONCURRENCY = 8
/** SigV4 presigned URLs live at most seven days. */
const MAX_SIGNED_SECONDS = 7 * 24 * 60 * 60

const statusOf = (cause: unknown): number | undefined =>
  (cause as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode
const nameOf = (cause: unknown): string | undefined => (cause as { name?: unknown } | undefined)?.name as string

const isNotFound = (error: BlobStoreUnavailable) =>
  statusOf(error.cause) === 404 || nameOf(error.cause) === "NoSuchKey" || nameOf(error.cause) === "NotFound"
const isInvalidRange = (error: BlobStoreUnavailable) =>
  statusOf(error.cause) === 416 || nameOf(error.cause) === "InvalidRange"

const checkKey = (key: string) => {
  const reason = keyProblem(key)
  return reason === undefined ? Effect.void : Effect.fail(new InvalidBlobKey({ key, reason }))
}

const checkPrefix = (prefix: string) => {
  const reason = prefixProblem(prefix)
  return reason === undefined ? Effect.void : Effect.fail(new InvalidBlobKey({ key: prefix, reason }))
}

/** Copying or moving a prefix into itself (or out of its own parent) has no sensible meaning. */
const checkDistinct = (from: string, to: string) =>
  from.startsWith(to) || to.startsWith(from)
    ? Effect.fail(new InvalidBlobKey({ key: to, reason: `overlaps the source prefix ${JSON.stringify(from)}` }))
    : Effect.void

const wellFormed = ({ start, end }: ByteRange) =>
  Number.isSafeInteger(start) && start >= 0 && (end === undefined || (Number.isSafeInteger(end) && end >= start))

const unquote = (etag: string | undefined) => (etag ?? "").replace(/^"|"$/g, "")

/** `bytes <start>-<end>/<size>` of a 206 answer. */
const parseContentRange = (header: string | undefined) => {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header ?? "")
  return match === null ? undefined : { start: Number(match[1]), end: Number(match[2]), size: Number(match[3]) }
}

/** `/`-separated segments URL-encoded one by one, as CopySource wants them. */
const copySourceOf = (bucket: string, key: string) => `${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`

/** Writes `bytes` to `sink`, waiting for it to drain when its buffer is full. */
const writeWithBackpressure = (sink: PassThrough, bytes: Uint8Array) =>
  Effect.async<void>((resume) => {
    if (sink.write(bytes)) return resume(Effect.void)
    const drained = () => resume(Effect.void)
    sink.once("drain", drained)
    return Effect.sync(() => sink.off("drain", drained))
  })

/** Builds the store in the current scope: a client closed with the scope, on a bucket created when missing. */
export const makeS3 = (
  settings: BlobStoreS3Settings
): Effect.Effect<BlobStoreService, BlobStoreUnavailable, Scope.Scope> =>
  Effect.gen(function* () {
    const Bucket = settings.bucket
    const region = settings.region ?? "us-east-1"
    const pageSize = Math.min(Math.max(1, Math.floor(settings.pageSize ?? 1000)), 1000)
    const config: S3ClientConfig = {
      region,
      ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
      ...(settings.forcePathStyle === undefined ? {} : { forcePathStyle: settings.forcePathStyle }),
      ...(settings.accessKeyId === undefined || settings.secretAccessKey === undefined
        ? {}
        : {
            credentials: {
              accessKeyId: settings.accessKeyId,
              secretAccessKey: Redacted.value(settings.secretAccessKey)
            }
          })
    }
    const client = yield* Effect.acquireRelease(
      Effect.sync(() => new S3Client(config)),
      (client) => Effect.sync(() => client.destroy())
    )

    const send = <A>(operation: string, key: string, run: (abortSignal: AbortSignal) => Promise<A>) =>
      Effect.tryPromise({ try: run, catch: (cause) => new BlobStoreUnavailable({ operation, key, cause }) })

    const headBucket = send("ping", "", (abortSignal) =>
      client.send(new HeadBucketCommand({ Bucket }), { abortSignal })
    )

    yield* headBucket.pipe(
      Effect.catchIf(isNotFound, () =>
        send("create the bucket", "", (abortSignal) =>
          client.send(
            new CreateBucketCommand({
              Bucket,
              ...(region === "us-east-1"
                ? {}
                : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } })
            }),
            { abortSignal }
          )
        ).pipe(
          // Another process created it meanwhile.
          Effect.catchIf(
            (error) => nameOf(error.cause) === "BucketAlreadyOwnedByYou",
            () => Effect.void
          )
        )
      )
    )

    const contentTypeFor = (key: string, options: PutOptions | undefined) => options?.contentType ?? contentTypeOf(key)

    /** Uploads `Body` (multipart when it exceeds one part), aborting the upload when interrupted. */
    const upload = (operation: string, key: string, Body: Readable, contentType: string | undefined) =>
      send(operation, key, (abortSignal) => {
        const upload = new Upload({
          client,
          params: { Bucket, Key: key, Body, ...(contentType === undefined ? {} : { ContentType: contentType }) },
          partSize: PART_SIZE,
          queueSize: PARTS_IN_FLIGHT,
          leavePartsOnError: false
        })
        abortSignal.addEventListener("abort", () => void upload.abort(), { once: true })
        return upload.done()
      }).pipe(Effect.ensuring(Effect.sync(() => Body.destroy())))

    /** The object's info as the client sees it after a write (S3 does not return the modification time). */
    const written = (key: string, size: number, etag: string | undefined, contentType: string | undefined) => ({
      key,
      size,
      etag: unquote(etag),
      contentType,
      lastModified: new Date()
    })

    const headObject = (operation: string, key: string): Effect.Effect<Option.Option<BlobInfo>, BlobStoreUnavailable> =>
      send(operation, key, (abortSignal) =>
        client.send(new HeadObjectCommand({ Bucket, Key: key }), { abortSignal })
      ).pipe(
        Effect.map((response) =>
          Option.some<BlobInfo>({
            key,
            size: response.ContentLength ?? 0,
            etag: unquote(response.ETag),
            contentType: response.ContentType,
            lastModified: response.LastModified ?? new Date(0)
          })
        ),
        Effect.catchIf(isNotFound, () => Effect.succeed(Option.none()))
      )

    /** GetObject, with the size of the whole object (a ranged answer says it in Content-Range). */
    const fetchObject = (
      operation: string,
      key: string,
      range: ByteRange | undefined
    ): Effect.Effect<FetchedObject, BlobNotFound | BlobStoreUnavailable> =>
      send(operation, key, (abortSignal) =>
        client.send(
          new GetObjectCommand({
            Bucket,
            Key: key,
            ...(range === undefined ? {} : { Range: `bytes=${range.start}-${range.end ?? ""}` })
          }),
          { abortSignal }
        )
      ).pipe(
        Effect.catchIf(isNotFound, () => Effect.fail(new BlobNotFound({ key }))),
        Effect.flatMap((response) => {
          const body = response.Body
          if (!(body instanceof Readable)) {
            return Effect.fail(
              new BlobStoreUnavailable({ operation, key, cause: "the response body is not a Node.js stream" })
            )
          }
          const info = (size: number): BlobInfo => ({
            key,
            size,
            etag: unquote(response.ETag),
            contentType: response.ContentType,
            lastModified: response.LastModified ?? new Date(0)
          })
          if (range === undefined) return Effect.succeed({ info: info(response.ContentLength ?? 0), body })
          const answered = parseContentRange(response.ContentRange)
          if (answered === undefined) {
            body.destroy()
            return Effect.fail(
              new BlobStoreUnavailable({ operation, key, cause: "the store ignored the Range header" })
            )
          }
          return Effect.succeed({ info: info(answered.size), body, answered })
        })
      )

    /** The ranged GetObject; a range S3 cannot serve (or would silently ignore) is RangeNotSatisfiable. */
    const fetchRange = (
      operation: string,
      key: string,
      range: ByteRange | undefined
    ): Effect.Effect<FetchedObject, InvalidBlobKey | BlobNotFound | RangeNotSatisfiable | BlobStoreUnavailable> =>
      Effect.gen(function* () {
        yield* checkKey(key)
        if (range !== undefined && !wellFormed(range)) {
          const size = yield* headObject(operation, key)
          if (Option.isNone(size)) return yield* new BlobNotFound({ key })
          return yield* new RangeNotSatisfiable({ key, size: size.value.size })
        }
        const object = yield* fetchObject(operation, key, range).pipe(
          Effect.catchIf(
            (error) => error instanceof BlobStoreUnavailable && isInvalidRange(error),
            () =>
              headObject(operation, key).pipe(
                Effect.flatMap(
                  (head): Effect.Effect<never, BlobNotFound | RangeNotSatisfiable> =>
                    Option.isNone(head)
                      ? Effect.fail(new BlobNotFound({ key }))
                      : Effect.fail(new RangeNotSatisfiable({ key, size: head.value.size }))
                )
              )
          )
        )
        if (range === undefined || object.answered === undefined) return object
        const size = object.info.size
        // Some S3-compatible stores answer a range on an empty object with `bytes 0-0/0` instead of 416.
        if (object.answered.start >= size) {
          object.body.destroy()
          return yield* new RangeNotSatisfiable({ key, size })
        }
        // Serving other bytes than asked for would corrupt whatever the caller assembles from them.
        const end = Math.min(range.end ?? size - 1, size - 1)
        if (object.answered.start !== range.start || object.answered.end !== end) {
          object.body.destroy()
          return yield* new BlobStoreUnavailable({
            operation,
            key,
            cause: `asked for bytes ${range.start}-${end}, the store answered ${object.answered.start}-${object.answered.end}`
          })
        }
        return object
      })

    /** Walks ListObjectsV2 page by page, handing each page's objects to `onPage`. */
    const forEachPage = <E>(
      operation: string,
      prefix: string,
      onPage: (infos: ReadonlyArray<BlobInfo>) => Effect.Effect<void, E>
    ) =>
      Effect.gen(function* () {
        let token: string | undefined
        do {
          const page = yield* send(operation, prefix, (abortSignal) =>
            client.send(
              new ListObjectsV2Command({
                Bucket,
                MaxKeys: pageSize,
                ...(prefix === "" ? {} : { Prefix: prefix }),
                ...(token === undefined ? {} : { ContinuationToken: token })
              }),
              { abortSignal }
            )
          )
          const infos = (page.Contents ?? []).flatMap(
            (object): Array<BlobInfo> =>
              // Keys no BlobStore could have written (`dir/` folder markers of other tools) are not objects here.
              object.Key === undefined || keyProblem(object.Key) !== undefined
                ? []
                : [
                    {
                      key: object.Key,
                      size: object.Size ?? 0,
                      etag: unquote(object.ETag),
                      // ListObjectsV2 carries no content type: the one the extension implies stands in for it.
                      contentType: contentTypeOf(object.Key),
                      lastModified: object.LastModified ?? new Date(0)
                    }
                  ]
          )
          yield* onPage(infos)
          token = page.IsTruncated === true ? page.NextContinuationToken : undefined
        } while (token !== undefined)
      })

    /** Every object under `prefix`, sorted by UTF-8 bytes: S3's own order, which not every compatible store keeps. */
    const listAll = (operation: string, prefix: string) =>
      Effect.gen(function* () {
        const all: Array<BlobInfo> = []
        yield* forEachPage(operation, prefix, (infos) => Effect.sync(() => all.push(...infos)))
        return all.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)))
      })

    const deleteKeys = (operation: string, keys: ReadonlyArray<string>) =>
      Effect.forEach(
        Array.from({ length: Math.ceil(keys.length / pageSize) }, (_, i) =>
          keys.slice(i * pageSize, (i + 1) * pageSize)
        ),
        (batch) =>
          send(operation, batch[0] ?? "", (abortSignal) =>
            client.send(
              new DeleteObjectsCommand({ Bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
              { abortSignal }
            )
          ).pipe(
            Effect.flatMap((result) =>
              result.Errors === undefined || result.Errors.length === 0
                ? Effect.void
                : Effect.fail(
                    new BlobStoreUnavailable({ operation, key: result.Errors[0]?.Key ?? "", cause: result.Errors })
                  )
            )
          ),
        { discard: true }
      )

    const deleteUnder = (operation: string, prefix: string) =>
      Effect.gen(function* () {
        let count = 0
        yield* forEachPage(operation, prefix, (infos) => {
          count += infos.length
          return deleteKeys(
            operation,
            infos.map((info) => info.key)
          )
        })
        return count
      })

    /** Copies every object under `from` to `to` (one vanishing meanwhile fails the copy); answers the source keys. */
    const copyUnder = (operation: string, from: string, to: string) =>
      Effect.gen(function* () {
        const sources = yield* listAll(operation, from)
        const copied = yield* Effect.forEach(
          sources,
          ({ key }) => {
            const target = to + key.slice(from.length)
            return send(operation, target, (abortSignal) =>
              client.send(new CopyObjectCommand({ Bucket, Key: target, CopySource: copySourceOf(Bucket, key) }), {
                abortSignal
              })
            ).pipe(Effect.as(key))
          },
          { concurrency: COPY_CONCURRENCY }
        )
        return copied
      })

    return BlobStore.of({
      put: (key, body, options) =>
        Effect.gen(function* () {
          yield* checkKey(key)
          const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body
          const contentType = contentTypeFor(key, options)
          const response = yield* send("put", key, (abortSignal) =>
            client.send(
              new PutObjectCommand({
                Bucket,
                Key: key,
                Body: bytes,
                ...(contentType === undefined ? {} : { ContentType: contentType })
              }),
              { abortSignal }
            )
          )
          return written(key, bytes.length, response.ETag, contentType)
        }),

      putStream: (key, body, options) =>
        Effect.gen(function* () {
          yield* checkKey(key)
          const contentType = contentTypeFor(key, options)
          const sink = new PassThrough({ highWaterMark: PART_SIZE })
          let size = 0
          // The stream is pumped into the upload's body; if it fails, the upload is interrupted (and aborted) and
          // the stream's own error is what the caller sees.
          const pump = Stream.runForEachChunk(body, (chunk: Chunk.Chunk<Uint8Array>) =>
            Effect.forEach(
              chunk,
              (bytes) => {
                size += bytes.length
                return writeWithBackpressure(sink, bytes)
              },
              { discard: true }
            )
          ).pipe(
            Effect.onExit((exit) =>
              Effect.sync(() => (Exit.isSuccess(exit) ? sink.end() : sink.destroy(new Error("the body stream failed"))))
            )
          )
          const [, response] = yield* Effect.all([pump, upload("putStream", key, sink, contentType)], {
            concurrency: 2
          })
          return written(key, size, response.ETag, contentType)
        }),

      putFile: (key, path, options) =>
        Effect.gen(function* () {
          yield* checkKey(key)
          const contentType = contentTypeFor(key, options)
          const { size } = yield* send("putFile", key, () => stat(path))
          const response = yield* upload(
            "putFile",
            key,
            createReadStream(path, { highWaterMark: 1024 * 1024 }),
            contentType
          )
          return written(key, size, response.ETag, contentType)
        }),

      get: (key, range) =>
        fetchRange("get", key, range).pipe(
          Effect.map(({ info, body }) => ({
            info,
            body: Stream.fromAsyncIterable(
              body as AsyncIterable<Uint8Array>,
              (cause) => new BlobStoreUnavailable({ operation: "get", key, cause })
            )
          }))
        ),

      read: (key, range, into) =>
        fetchRange("read", key, range).pipe(
          Effect.flatMap(({ info, body }) =>
            send("read", key, async () => {
              const chunks: Array<Uint8Array> = []
              let length = 0
              for await (const chunk of body as AsyncIterable<Uint8Array>) {
                chunks.push(chunk)
                length += chunk.length
              }
              const bytes =
                into !== undefined && into.length >= length ? into.subarray(0, length) : new Uint8Array(length)
              let offset = 0
              for (const chunk of chunks) {
                bytes.set(chunk, offset)
                offset += chunk.length
              }
              return { info, bytes }
            }).pipe(Effect.ensuring(Effect.sync(() => body.destroy())))
          )
        ),

      head: (key) => checkKey(key).pipe(Effect.zipRight(headObject("head", key))),

      delete: (key) =>
        checkKey(key).pipe(
          Effect.zipRight(
            send("delete", key, (abortSignal) =>
              client.send(new DeleteObjectCommand({ Bucket, Key: key }), { abortSignal })
            )
          ),
          Effect.asVoid
        ),

      deleteByPrefix: (prefix) => checkPrefix(prefix).pipe(Effect.zipRight(deleteUnder("deleteByPrefix", prefix))),

      list: (prefix) => checkPrefix(prefix).pipe(Effect.zipRight(listAll("list", prefix))),

      copyPrefix: (from, to) =>
        Effect.gen(function* () {
          yield* checkPrefix(from)
          yield* checkPrefix(to)
          yield* checkDistinct(from, to)
          return (yield* copyUnder("copyPrefix", from, to)).length
        }),

      movePrefix: (from, to) =>
        Effect.gen(function* () {
          yield* checkPrefix(from)
          yield* checkPrefix(to)
          yield* checkDistinct(from, to)
          yield* deleteUnder("movePrefix", to)
          const moved = yield* copyUnder("movePrefix", from, to)
          // Only what was copied goes: an object written under `from` meanwhile stays there.
          yield* deleteKeys("movePrefix", moved)
          return moved.length
        }),

      signedUrl: (key, expiresIn) =>
        Effect.gen(function* () {
          yield* checkKey(key)
          const seconds = Math.ceil(Duration.toSeconds(Duration.decode(expiresIn)))
          const url = yield* send("signedUrl", key, () =>
            getSignedUrl(client, new GetObjectCommand({ Bucket, Key: key }), {
              expiresIn: Math.min(Math.max(seconds, 1), MAX_SIGNED_SECONDS)
            })
          )
          return Option.some(url)
        }),

      localFile: (key) =>
        Effect.gen(function* () {
          yield* checkKey(key)
          const dir = yield* Effect.acquireRelease(
            send("localFile", key, () => mkdtemp(join(tmpdir(), "lectern-blob-"))),
            (dir) =>
              Effect.tryPromise(() => rm(dir, { recursive: true, force: true })).pipe(
                Effect.catchAll((error) => Effect.logWarning(`could not remove ${dir}`, error))
              )
          )
          // The key's last segment keeps its extension, which tools such as ffprobe look at.
          const path = join(dir, basename(key))
          const { body } = yield* fetchObject("localFile", key, undefined)
          yield* send("localFile", key, (signal) => pipeline(body, createWriteStream(path), { signal }))
          return path
        }),

      ping: Effect.asVoid(headBucket)
    })
  })

/** The S3 BlobStore; building it creates the bucket when missing, and its scope closing closes the client. */
export const layerS3 = (settings: BlobStoreS3Settings): Layer.Layer<BlobStore, BlobStoreUnavailable> =>
  Layer.scoped(BlobStore, makeS3(settings))
