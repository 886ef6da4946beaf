// The media service's plain HTTP endpoints for the edge: tus uploads, signed HLS playback and public images.
import { BlobStore } from "@lectern/platform/BlobStore"
import type { HttpRoute, ReadinessCheck } from "@lectern/platform/HttpEdge"
import { Effect } from "effect"
import { HLS_PATH, HlsEndpoint } from "./HlsServer.ts"
import { ImagesEndpoint } from "./ImageServer.ts"
import { IMAGES_PATH } from "./Images.ts"
import { UPLOADS_PATH, UploadsEndpoint } from "./Uploads.ts"

export const mediaHttpRoutes = Effect.gen(function* () {
  const uploads = yield* UploadsEndpoint
  const hls = yield* HlsEndpoint
  const images = yield* ImagesEndpoint
  const routes: ReadonlyArray<HttpRoute> = [
    { prefix: UPLOADS_PATH, handle: uploads.handle },
    { prefix: HLS_PATH, handle: hls.handle },
    { prefix: IMAGES_PATH, handle: images.handle }
  ]
  return routes
})

/** What media adds to `/ready`: the blob store answers. */
export const mediaReadiness = Effect.gen(function* () {
  const blobs = yield* BlobStore
  const checks: ReadonlyArray<ReadinessCheck> = [{ name: "blobs", check: blobs.ping }]
  return checks
})
