// The configured BlobStore: S3 when S3_BUCKET is set, otherwise files under BLOB_ROOT (the embedded default).
import { Config, ConfigError, Effect, Layer, Option } from "effect"
import type { BlobStore, BlobStoreUnavailable } from "./BlobStore.ts"
import { layerFs } from "./BlobStoreFs.ts"
import { layerS3 } from "./BlobStoreS3.ts"

const nonEmpty = (name: string) =>
  Config.option(Config.string(name)).pipe(Config.map(Option.filter((value) => value.trim() !== "")))

/**
 * With `S3_BUCKET`: S3 at `S3_ENDPOINT` (AWS when unset) in `S3_REGION` (default us-east-1), with
 * `S3_ACCESS_KEY_ID` and `S3_SECRET_ACCESS_KEY` (both or neither; neither means the SDK's default chain) and
 * `S3_FORCE_PATH_STYLE` (default true when S3_ENDPOINT is set, as S3-compatible stores mostly need). Otherwise
 * files under `BLOB_ROOT` (default `<LECTERN_DATA_DIR>/blobs`, i.e. `.lectern/blobs` in the working directory).
 */
export const layerFromConfig: Layer.Layer<BlobStore, ConfigError.ConfigError | BlobStoreUnavailable> =
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const bucket = yield* nonEmpty("S3_BUCKET")
      if (Option.isNone(bucket)) {
        const dataDir = yield* Config.string("LECTERN_DATA_DIR").pipe(Config.withDefault(".lectern"))
        const root = yield* Config.string("BLOB_ROOT").pipe(Config.withDefault(`${dataDir}/blobs`))
        return Layer.merge(
          layerFs({ root }),
          Layer.effectDiscard(Effect.logInfo(`S3_BUCKET is not set: blobs are files under ${root} (BLOB_ROOT)`))
        )
      }
      const endpoint = yield* nonEmpty("S3_ENDPOINT")
      const region = yield* Config.string("S3_REGION").pipe(Config.withDefault("us-east-1"))
      const accessKeyId = yield* nonEmpty("S3_ACCESS_KEY_ID")
      const secretAccessKey = yield* Config.option(Config.redacted("S3_SECRET_ACCESS_KEY"))
      if (Option.isSome(accessKeyId) !== Option.isSome(secretAccessKey)) {
        return yield* Effect.fail(
          ConfigError.InvalidData(
            ["S3_ACCESS_KEY_ID"],
            "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are set together or not at all"
          )
        )
      }
      const forcePathStyle = yield* Config.boolean("S3_FORCE_PATH_STYLE").pipe(
        Config.withDefault(Option.isSome(endpoint))
      )
      return Layer.merge(
        layerS3({
          bucket: bucket.value,
          region,
          forcePathStyle,
          ...Option.match(endpoint, { onNone: () => ({}), onSome: (endpoint) => ({ endpoint }) }),
          ...(Option.isSome(accessKeyId) && Option.isSome(secretAccessKey)
            ? { accessKeyId: accessKeyId.value, secretAccessKey: secretAccessKey.value }
            : {})
        }),
        Layer.effectDiscard(
          Effect.logInfo(`blobs are in the S3 bucket ${bucket.value} at ${Option.getOrElse(endpoint, () => "AWS")}`)
        )
      )
    })
  )
