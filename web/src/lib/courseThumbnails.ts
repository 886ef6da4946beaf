// The studio's course thumbnail: server functions that make an uploaded picture the course's thumbnail or remove it
// (src/server/thumbnails.ts), and the checks the page makes before uploading anything.
import type { Catalog } from "@lectern/contracts"
import type { Outcome } from "./outcome.ts"

/** A course's picture URLs, or null when it has none. */
export type CourseThumbnail = typeof Catalog.CourseThumbnail.Encoded | null

/** The picture types media accepts (it checks the bytes; this only spares a useless upload). */
export const THUMBNAIL_TYPES = ["image/jpeg", "image/png", "image/webp"] as const
/** Media's default MEDIA_IMAGE_MAX_BYTES. */
export const THUMBNAIL_MAX_BYTES = 10 * 1024 * 1024

/** Why `file` cannot be a thumbnail, before uploading it; undefined when it may be. */
export const thumbnailFileProblem = (file: { readonly type: string; readonly size: number }): string | undefined => {
  if (!(THUMBNAIL_TYPES as ReadonlyArray<string>).includes(file.type)) return "Choose a JPEG, PNG or WebP picture."
  if (file.size === 0) return "This file is empty."
  if (file.size > THUMBNAIL_MAX_BYTES) return "Choose a picture of at most 10 MB."
  return undefined
}

/** After the upload: media makes the picture an image, and it becomes the course's thumbnail. */
export const setCourseThumbnail = async (payload: {
  readonly courseId: string
  readonly uploadId: string
}): Promise<Outcome<CourseThumbnail>> => {
  "use server"
  const { setThumbnail } = await import("../server/thumbnails.ts")
  return setThumbnail(payload)
}

export const removeCourseThumbnail = async (payload: {
  readonly courseId: string
}): Promise<Outcome<CourseThumbnail>> => {
  "use server"
  const { removeThumbnail } = await import("../server/thumbnails.ts")
  return removeThumbnail(payload)
}
