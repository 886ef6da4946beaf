// GET /media/images/<id>/<small|large>.jpg: an image's renders, public and immutable (a new picture is a new id).
//
// The path must be exactly that shape — a lower-case UUID and a render name — or the answer is 404, so no request can
// name another object of the store (`..`, encoded or not, never matches). A deleted image's renders are deleted
// with it, so its URLs answer 404.
import type { IncomingMessage, ServerResponse } from "node:http"
import { BlobStore } from "@lectern/platform/BlobStore"
import { Context, Effect, Exit, Layer, Option, Runtime } from "effect"
import { IMAGES_PATH, imageKey } from "./Images.ts"

const IMAGE_FILE =
  /^\/media\/images\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/(small|large)\.jpg$/

/** The image id and render a request path names, or undefined for any other path. */
export const parseImagePath = (path: string) => {
  const match = IMAGE_FILE.exec(path)
  if (match === null || match[1] === undefined) return undefined
  return { id: match[1], render: match[2] === "small" ? ("small" as const) : ("large" as const) }
}

export const IMAGE_CACHE_CONTROL = "public, max-age=31536000, immutable"

const text = (res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}) => {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
    ...extra
  })
  res.end(body)
}

export class ImagesEndpoint extends Context.Tag("@lectern/media/ImagesEndpoint")<
  ImagesEndpoint,
  { readonly handle: (req: IncomingMessage, res: ServerResponse) => void }
>() {}

export const ImagesEndpointLive = Layer.effect(
  ImagesEndpoint,
  Effect.gen(function* () {
    const blobs = yield* BlobStore
    const runPromiseExit = Runtime.runPromiseExit(yield* Effect.runtime<never>())

    const load = (key: string) =>
      blobs.read(key).pipe(
        Effect.map(Option.some),
        Effect.catchTag("BlobNotFound", () => Effect.succeed(Option.none()))
      )

    const handle = (req: IncomingMessage, res: ServerResponse) => {
      if (req.method !== "GET" && req.method !== "HEAD") {
        return text(res, 405, "method not allowed\n", { allow: "GET, HEAD" })
      }
      const path = (req.url ?? "").split("?", 1)[0] ?? ""
      if (!path.startsWith(IMAGES_PATH)) return text(res, 404, "not found\n")
      const file = parseImagePath(path)
      if (file === undefined) return text(res, 404, "not found\n")
      runPromiseExit(load(imageKey(file.id, file.render))).then((exit) => {
        if (Exit.isFailure(exit)) return text(res, 503, "image storage unavailable\n")
        if (Option.isNone(exit.value)) return text(res, 404, "not found\n")
        const { bytes, info } = exit.value.value
        const etag = `"${info.etag}"`
        const headers: Record<string, string | number> = {
          "content-type": "image/jpeg",
          etag,
          "cache-control": IMAGE_CACHE_CONTROL,
          "x-content-type-options": "nosniff",
          // Public pictures: any page may show them (course cards on other sites), unlike the API's answers.
          "cross-origin-resource-policy": "cross-origin"
        }
        const ifNoneMatch = req.headers["if-none-match"]
        if (ifNoneMatch?.split(",").some((tag) => tag.trim() === etag || tag.trim() === "*")) {
          res.writeHead(304, headers)
          return res.end()
        }
        headers["content-length"] = bytes.length
        res.writeHead(200, headers)
        res.end(req.method === "HEAD" ? undefined : bytes)
      })
    }
    return { handle }
  })
)
