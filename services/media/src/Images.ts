// Images (course thumbnails): a creator's complete upload is probed as a picture, rendered as cover-cropped JPEGs
// (IMAGE_RENDERS) stored under `images/<id>/`, and served publicly at /media/images/<id>/<small|large>.jpg.
import { type AuthenticatedUser, Media as Contract } from "@lectern/contracts"
import { Forbidden, hasRole, ImageId, type UserId } from "@lectern/domain"
import { BlobStore } from "@lectern/platform/BlobStore"
import { ImageRenderer } from "@lectern/platform/ImageRenderer"
import { Config, Effect, Option } from "effect"
import { ImageRepo, type ImageRow } from "./ImageRepo.ts"
import { MediaRepo, type UploadRow } from "./Repo.ts"
import { joinUploadParts, uploadPrefix } from "./Uploads.ts"

/** Where images are served; the HTTP edge routes this folder to ImagesEndpoint. */
export const IMAGES_PATH = "/media/images/"

export const IMAGE_RENDER_NAMES = Object.keys(Contract.IMAGE_RENDERS) as ReadonlyArray<Contract.ImageRenderName>

/** Every image's renders live under this prefix, and nothing else does. */
export const imagePrefix = (id: string) => `images/${id}/`
export const imageKey = (id: string, render: Contract.ImageRenderName) => `${imagePrefix(id)}${render}.jpg`

/** The public URLs of an image's renders, under `publicUrl` (MEDIA_PUBLIC_URL; empty: paths on the API origin). */
export const imageUrls = (publicUrl: string, id: string): Contract.ImageUrls => ({
  small: `${publicUrl}${IMAGES_PATH}${id}/small.jpg`,
  large: `${publicUrl}${IMAGES_PATH}${id}/large.jpg`
})

/** The largest picture side accepted. */
export const IMAGE_MAX_SIDE = 8192

export const ImageSettings = Config.all({
  /** Largest accepted picture file. */
  maxBytes: Config.integer("MEDIA_IMAGE_MAX_BYTES").pipe(
    Config.validate({ message: "MEDIA_IMAGE_MAX_BYTES must be at least 1", validation: (bytes) => bytes >= 1 }),
    Config.withDefault(10 * 1024 * 1024)
  ),
  /** Prefix of image URLs, as for playback URLs. */
  publicUrl: Config.string("MEDIA_PUBLIC_URL").pipe(Config.withDefault(""))
})

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, "")} MiB`

export const toImage = (row: ImageRow, publicUrl: string) =>
  new Contract.Image(
    { id: row.id, width: row.width, height: row.height, urls: imageUrls(publicUrl, row.id) },
    // Built from our own row: the RPC layer encodes it through the Schema anyway.
    true
  )

/**
 * For other services in the process (catalog's course thumbnails): a live image's owner and URLs, none for an
 * unknown or deleted one. Needs ImageRepo.
 */
export const imageLookup = Effect.gen(function* () {
  const repo = yield* ImageRepo
  const settings = yield* ImageSettings
  return (id: ImageId) =>
    Effect.map(
      repo.imageById(id),
      Option.map((row) => ({ ownerId: row.ownerId as UserId, urls: imageUrls(settings.publicUrl, row.id) }))
    )
})

export class ImageLibrary extends Effect.Service<ImageLibrary>()("@lectern/media/ImageLibrary", {
  effect: Effect.gen(function* () {
    const images = yield* ImageRepo
    const uploads = yield* MediaRepo
    const blobs = yield* BlobStore
    const renderer = yield* ImageRenderer
    const settings = yield* ImageSettings

    /** A complete upload of the caller's, taken (it cannot be used twice); the reason otherwise. */
    const takeUpload = (user: AuthenticatedUser, uploadId: string) =>
      Effect.gen(function* () {
        const found = yield* uploads.uploadById(uploadId)
        if (Option.isNone(found) || found.value.ownerId !== user.id || found.value.consumedAt !== null) {
          return yield* Effect.fail(new Contract.UploadNotFound({ uploadId }))
        }
        if (found.value.completedAt === null) {
          return yield* Effect.fail(
            new Contract.UploadIncomplete({ uploadId, offset: found.value.offset, length: found.value.size })
          )
        }
        const taken = yield* uploads.consumeUpload(uploadId, user.id)
        if (Option.isNone(taken)) return yield* Effect.fail(new Contract.UploadNotFound({ uploadId }))
        return taken.value
      })

    /** The upload's bytes are dropped whatever happens to them: a refused file leaves nothing behind. */
    const dropUpload = (upload: UploadRow) => blobs.deleteByPrefix(uploadPrefix(upload.id)).pipe(Effect.ignoreLogged)

    const create = (user: AuthenticatedUser, input: { readonly uploadId: string }) =>
      Effect.gen(function* () {
        if (!hasRole(user.role, "creator")) {
          return yield* Effect.fail(new Forbidden({ message: "adding images needs the creator or admin role" }))
        }
        const upload = yield* takeUpload(user, input.uploadId)
        const refuse = (reason: string) =>
          Effect.zipRight(dropUpload(upload), Effect.fail(new Contract.InvalidMedia({ reason })))
        // Refused by size before a byte is read or joined.
        if (upload.offset === 0 || upload.parts === 0) return yield* refuse("the file is empty")
        if (upload.offset > settings.maxBytes) {
          return yield* refuse(
            `it has ${megabytes(upload.offset)}; the largest accepted picture has ${megabytes(settings.maxBytes)}`
          )
        }
        const id = ImageId.make(crypto.randomUUID())
        const probe = yield* Effect.scoped(
          Effect.gen(function* () {
            const path = yield* blobs.localFile(yield* joinUploadParts(upload, { repo: uploads, blobs }))
            // Checked by content before anything else is done with it.
            const probe = yield* renderer.probe(path, {
              maxBytes: settings.maxBytes,
              maxWidth: IMAGE_MAX_SIDE,
              maxHeight: IMAGE_MAX_SIDE
            })
            const rendered = yield* renderer.render(
              path,
              IMAGE_RENDER_NAMES.map((name) => ({ name, ...Contract.IMAGE_RENDERS[name] }))
            )
            for (const render of rendered) {
              yield* blobs.putFile(imageKey(id, render.name as Contract.ImageRenderName), render.path, {
                contentType: "image/jpeg"
              })
            }
            return probe
          })
        ).pipe(
          Effect.catchTags({
            InvalidMedia: (refused) => refuse(refused.reason),
            TranscodeFailed: (failed) => Effect.die(failed),
            BlobNotFound: Effect.die,
            BlobStoreUnavailable: Effect.die,
            InvalidBlobKey: Effect.die,
            RangeNotSatisfiable: Effect.die
          }),
          // Renders stored before a failure go with it.
          Effect.onError(() => blobs.deleteByPrefix(imagePrefix(id)).pipe(Effect.ignoreLogged))
        )
        const row = yield* images.insertImage({
          id,
          ownerId: user.id,
          width: probe.width,
          height: probe.height,
          format: probe.formatName,
          sizeBytes: probe.sizeBytes
        })
        yield* dropUpload(upload)
        return toImage(row, settings.publicUrl)
      }).pipe(Effect.withSpan("ImageLibrary.create"))

    /** The owner or an admin deletes an image; anyone else is told it does not exist. */
    const remove = (user: AuthenticatedUser, id: ImageId) =>
      Effect.gen(function* () {
        const found = yield* images.imageById(id)
        const notFound = new Contract.ImageNotFound({ id })
        if (Option.isNone(found) || (found.value.ownerId !== user.id && user.role !== "admin")) {
          return yield* Effect.fail(notFound)
        }
        if (!(yield* images.softDeleteImage(id))) return yield* Effect.fail(notFound)
        yield* blobs.deleteByPrefix(imagePrefix(id)).pipe(Effect.orDie)
      }).pipe(Effect.withSpan("ImageLibrary.remove"))

    /**
     * An image no course shows any more (catalog's `image.released`): deleted with `image.deleted`, renders and all.
     * Again for the same image changes nothing, so a redelivered event is harmless.
     */
    const release = (id: ImageId) =>
      Effect.gen(function* () {
        yield* images.softDeleteImage(id)
        yield* blobs.deleteByPrefix(imagePrefix(id)).pipe(Effect.orDie)
      }).pipe(Effect.withSpan("ImageLibrary.release"))

    return { create, remove, release }
  })
}) {}
