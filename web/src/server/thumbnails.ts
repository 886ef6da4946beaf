// Course thumbnails on the server: a finished upload becomes media's image and then the course's thumbnail (the
// image is deleted again when the course refuses it), or the thumbnail is removed; typed failures → field messages.
import "server-only"
import { Media } from "@lectern/contracts"
import { CourseId } from "@lectern/domain"
import { Either, Schema } from "effect"
import type { CourseThumbnail } from "../lib/courseThumbnails.ts"
import type { Failure, Outcome } from "../lib/outcome.ts"
import { lectern } from "./lectern.ts"
import { describe } from "./studio.ts"

/** The field a thumbnail failure belongs to (the editor shows it there). */
export const THUMBNAIL_FIELD = "thumbnail"

const failed = (tag: string, message: string): { readonly ok: false; readonly error: Failure } => ({
  ok: false,
  error: { _tag: tag, message, field: THUMBNAIL_FIELD }
})

/** What the person reads for each failure image.create and course.update can answer. */
const thumbnailFailure = (error: Failure) => {
  switch (error._tag) {
    case "InvalidMedia":
      return failed(error._tag, `This picture cannot be used: ${error.reason}.`)
    case "InvalidThumbnail":
      return failed(error._tag, "This picture is not one of the course creator's. Upload it again.")
    case "UploadIncomplete":
      return failed(error._tag, "The upload has not finished: upload the picture again.")
    case "UploadNotFound":
      return failed(error._tag, "The upload could not be found. Upload the picture again.")
    default: {
      const described = describe(error)
      return failed(described.tag, described.message)
    }
  }
}

const SetInput = Schema.Struct({ courseId: CourseId, uploadId: Media.UploadId })
const RemoveInput = Schema.Struct({ courseId: CourseId })

/** The upload (a complete tus upload of the caller's) becomes the course's thumbnail; answers its URLs. */
export const setThumbnail = async (payload: {
  readonly courseId: string
  readonly uploadId: string
}): Promise<Outcome<CourseThumbnail>> => {
  const input = Schema.decodeUnknownEither(SetInput)(payload)
  if (Either.isLeft(input)) return failed("InvalidInput", "Choose a picture and upload it again.")
  const { courseId, uploadId } = input.right
  const image = await lectern((c) => c.media.image.create({ uploadId }))
  if (!image.ok) return thumbnailFailure(image.error)
  const course = await lectern((c) => c.catalog.course.update({ id: courseId, thumbnailImageId: image.value.id }))
  if (!course.ok) {
    // Nothing shows it: it would only take space.
    await lectern((c) => c.media.image.delete({ id: image.value.id }))
    return thumbnailFailure(course.error)
  }
  return { ok: true, value: course.value.thumbnail }
}

/** The course shows no picture any more. */
export const removeThumbnail = async (payload: { readonly courseId: string }): Promise<Outcome<CourseThumbnail>> => {
  const input = Schema.decodeUnknownEither(RemoveInput)(payload)
  if (Either.isLeft(input)) return failed("InvalidInput", "This course could not be found.")
  const course = await lectern((c) => c.catalog.course.update({ id: input.right.courseId, thumbnailImageId: null }))
  if (!course.ok) return thumbnailFailure(course.error)
  return { ok: true, value: course.value.thumbnail }
}
