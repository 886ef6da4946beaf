// Learning's plain HTTP endpoints for the edge: files to download (certificate PDFs, assignment attachments), behind
// the same bearer token as the RPCs.
import type { IncomingMessage, ServerResponse } from "node:http"
import { type AuthenticatedUser, Learning as Contract } from "@lectern/contracts"
import { AccessTokenVerifier } from "@lectern/platform/AccessTokens"
import { bearerToken } from "@lectern/platform/Authentication"
import type { HttpRoute } from "@lectern/platform/HttpEdge"
import { Cause, Effect, Exit, Option, Runtime, Stream } from "effect"
import { Assignments } from "./Assignments.ts"
import { CertificateIssuer } from "./CertificateIssuer.ts"

/** A file to send: its bytes in memory or as a stream of `size` bytes. */
export interface Download {
  readonly filename: string
  readonly contentType: string
  readonly size: number
  readonly body: Uint8Array | Stream.Stream<Uint8Array, unknown>
}

/** A refusal: 401 (no or bad token), 404 (no such file, or not the caller's), 405. */
export class HttpRefusal {
  readonly _tag = "HttpRefusal"
  readonly status: 401 | 404 | 405
  readonly message: string
  constructor(status: 401 | 404 | 405, message: string) {
    this.status = status
    this.message = message
  }
}

const notFound = () => new HttpRefusal(404, "not found")

/** `filename="…"` for ASCII-safe names, plus RFC 5987 `filename*` for everything else. */
export const contentDisposition = (filename: string) => {
  const ascii = filename.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_")
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)
  return ascii === filename
    ? `attachment; filename="${ascii}"`
    : `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`
}

const sendJson = (res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) => {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    ...extra
  })
  res.end(text)
}

/** Writes a stream to the response, waiting for `drain` when the socket's buffer is full. */
const pipeTo = (res: ServerResponse, body: Stream.Stream<Uint8Array, unknown>) =>
  Stream.runForEach(body, (chunk) =>
    Effect.async<void>((resume) => {
      if (res.write(chunk)) return resume(Effect.void)
      const done = () => {
        res.off("drain", done)
        res.off("close", done)
        resume(Effect.void)
      }
      res.once("drain", done)
      res.once("close", done)
    })
  )

/** The download route's answer for `path` (below the prefix), as `user`. */
type Resolve<R> = (user: AuthenticatedUser, path: string) => Effect.Effect<Download, HttpRefusal, R>

/**
 * A route under `Contract.LEARNING_HTTP_PREFIX` that authenticates the caller like the RPCs do and sends what
 * `resolve` finds as an attachment: `Cache-Control: private, no-store`, `X-Content-Type-Options: nosniff`. GET and
 * HEAD only.
 */
export const makeDownloadRoute = <R>(resolve: Resolve<R>) =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<R | AccessTokenVerifier>()
    const verifier = yield* AccessTokenVerifier
    const run = Runtime.runPromiseExit(runtime)
    const runFork = Runtime.runFork(runtime)

    const answer = (req: IncomingMessage) =>
      Effect.gen(function* () {
        if (req.method !== "GET" && req.method !== "HEAD") {
          return yield* Effect.fail(new HttpRefusal(405, "method not allowed"))
        }
        const token = bearerToken(req.headers.authorization)
        if (token === undefined) return yield* Effect.fail(new HttpRefusal(401, "missing bearer token"))
        const user = yield* verifier
          .verify(token)
          .pipe(Effect.mapError(() => new HttpRefusal(401, "invalid or expired access token")))
        const path = (req.url ?? "/").split("?", 1)[0] ?? "/"
        return yield* resolve(user, path.slice(Contract.LEARNING_HTTP_PREFIX.length))
      })

    const handle = (req: IncomingMessage, res: ServerResponse) => {
      void run(answer(req)).then((exit) => {
        if (Exit.isFailure(exit)) {
          const failure = Cause.failureOption(exit.cause)
          if (Option.isSome(failure)) {
            const refusal = failure.value
            const extra: Record<string, string> =
              refusal.status === 401
                ? { "www-authenticate": 'Bearer realm="lectern"' }
                : refusal.status === 405
                  ? { allow: "GET, HEAD" }
                  : {}
            return sendJson(res, refusal.status, { error: refusal.message }, extra)
          }
          runFork(Effect.logError("learning download failed", exit.cause))
          return sendJson(res, 500, { error: "internal error" })
        }
        const download = exit.value
        res.writeHead(200, {
          "content-type": download.contentType,
          "content-length": download.size,
          "content-disposition": contentDisposition(download.filename),
          "cache-control": "private, no-store",
          "x-content-type-options": "nosniff"
        })
        if (req.method === "HEAD") return res.end()
        if (download.body instanceof Uint8Array) return res.end(download.body)
        const fiber = runFork(pipeTo(res, download.body))
        res.once("close", () => fiber.unsafeInterruptAsFork(fiber.id()))
        fiber.addObserver((done) => {
          if (Exit.isSuccess(done)) res.end()
          else res.destroy()
        })
      })
    }
    return { prefix: Contract.LEARNING_HTTP_PREFIX, handle } satisfies HttpRoute
  })

const CERTIFICATE_PDF = /^certificates\/([A-Za-z0-9_-]{1,64})\.pdf$/
const ATTACHMENT =
  /^submissions\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/attachments\/([A-Za-z0-9_-]{8,64})$/i

/**
 * Declared types a browser may be handed as they are (none of them runs script); any other declared type is sent as
 * `application/octet-stream`.
 */
const SERVED_AS_DECLARED = new Set([
  "application/pdf",
  "application/zip",
  "text/plain",
  "text/csv",
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp"
])

/**
 * `GET /learning/certificates/<id>.pdf`: the PDF for its holder or an admin. `GET /learning/submissions/<id>/
 * attachments/<uploadId>`: a submission's file for its submitter, the course's owner or an admin. 404 for anyone else.
 */
export const learningHttpRoutes = Effect.gen(function* () {
  const certificates = yield* CertificateIssuer
  const assignments = yield* Assignments

  const certificatePdf = (user: AuthenticatedUser, id: string) =>
    Effect.gen(function* () {
      const row = yield* certificates.byId(id)
      // Someone else's certificate is not found, as for `certificate.get`.
      if (Option.isNone(row) || (row.value.userId !== user.id && user.role !== "admin")) {
        return yield* Effect.fail(notFound())
      }
      const pdf = yield* certificates.pdf(row.value)
      return {
        filename: `certificate-${row.value.code}.pdf`,
        contentType: "application/pdf",
        size: pdf.byteLength,
        body: pdf
      } satisfies Download
    })

  const attachment = (user: AuthenticatedUser, submissionId: string, uploadId: string) =>
    Effect.gen(function* () {
      const found = yield* assignments.attachmentDownload(user, submissionId.toLowerCase(), uploadId)
      if (Option.isNone(found)) return yield* Effect.fail(notFound())
      const { file, size, body } = found.value
      return {
        filename: file.filename,
        contentType: SERVED_AS_DECLARED.has(file.contentType) ? file.contentType : "application/octet-stream",
        size,
        body
      } satisfies Download
    })

  const route = yield* makeDownloadRoute((user, path) => {
    const pdf = CERTIFICATE_PDF.exec(path)
    if (pdf?.[1] !== undefined) return certificatePdf(user, pdf[1])
    const file = ATTACHMENT.exec(path)
    if (file?.[1] !== undefined && file[2] !== undefined) return attachment(user, file[1], file[2])
    return Effect.fail(notFound())
  })
  const routes: ReadonlyArray<HttpRoute> = [route]
  return routes
})
