// The media service's plain HTTP endpoints for the edge: tus uploads and signed HLS playback.
import type { HttpRoute } from "@lectern/platform/HttpEdge"
import { Effect } from "effect"
import { HLS_PATH, HlsEndpoint } from "./HlsServer.ts"
import { UPLOADS_PATH, UploadsEndpoint } from "./Uploads.ts"

export const mediaHttpRoutes = Effect.gen(function* () {
  const uploads = yield* UploadsEndpoint
  const hls = yield* HlsEndpoint
  const routes: ReadonlyArray<HttpRoute> = [
    { prefix: UPLOADS_PATH, handle: uploads.handle },
    { prefix: HLS_PATH, handle: hls.handle }
  ]
  return routes
})
