// Where hosted services ask each other: media asks catalog and learning who may watch a video, learning reads
// catalog's curricula and takes media's uploads as assignment attachments, catalog names course creators from auth
// and checks course thumbnails against media's images.
// In one process these are direct calls on the services' layers.

import { Auth } from "@lectern/auth"
import { Catalog as CatalogService, CourseImages, CreatorDirectory, LearnerAccess } from "@lectern/catalog"
import * as Assignment from "@lectern/contracts/LearningAssignment"
import { UserId } from "@lectern/domain"
import {
  CatalogReader,
  LearnerDirectory,
  Learning,
  LearningRepo,
  LearningSchemaLive,
  SubmissionFiles
} from "@lectern/learning"
import { ImageRepoLive, imageLookup, MediaRepo, MediaSchemaLive, PlaybackAccess } from "@lectern/media"
import { readUpload, uploadPrefix } from "@lectern/media/Uploads"
import { BlobStore } from "@lectern/platform/BlobStore"
import { layerFromConfig as blobStoreFromConfig } from "@lectern/platform/BlobStoreFromConfig"
import { Effect, Layer, Option } from "effect"

/** Learners' display names for learning's certificates, from auth. */
export const LearnerDirectoryFromAuth = Layer.effect(
  LearnerDirectory,
  Effect.map(Auth, (auth) => ({ displayName: auth.displayName, displayNames: auth.displayNames }))
)

/** Course creators' display names for catalog's course pages, from auth (read on every course read, never cached). */
export const CreatorDirectoryFromAuth = Layer.effect(
  CreatorDirectory,
  Effect.map(Auth, (auth) => ({ displayName: auth.displayName }))
)

/**
 * Course thumbnails from media's images: a live image's owner and the URLs of its renders, read through media's repo
 * in the caller's fiber (inside catalog's transaction, on its connection).
 */
export const CourseImagesFromMedia = Layer.effect(
  CourseImages,
  Effect.map(imageLookup, (image) => ({ image }))
).pipe(Layer.provide(ImageRepoLive))

/**
 * Catalog shows every lesson's content to learners enrolled in the course: asked of learning's enrollments through its
 * repo (learning's services themselves read catalog, so catalog cannot wait for them to be built).
 */
export const LearnerAccessFromLearning = Layer.effect(
  LearnerAccess,
  Effect.map(LearningRepo, (repo) => ({ isEnrolled: repo.isEnrolled }))
).pipe(Layer.provide(LearningRepo.Default), Layer.provide(LearningSchemaLive))

/** Learning's view of a course: catalog's published course with its curriculum, every lesson's content included. */
export const CatalogReaderFromCatalog = Layer.effect(
  CatalogReader,
  Effect.map(CatalogService, (catalog) => ({
    publishedCourse: catalog.publishedCurriculum,
    mayEdit: (user, id) =>
      catalog.getCourse(user, { id }).pipe(
        Effect.map((detail) => detail.canEdit),
        Effect.orElseSucceed(() => false)
      ),
    popularCourses: ({ categoryId, limit }) =>
      Effect.gen(function* () {
        const page = yield* catalog.search({
          sort: "popular",
          limit,
          ...(categoryId === undefined ? {} : { categoryId })
        })
        const names = new Map((yield* catalog.listCategories()).map((category) => [category.id, category.name]))
        return page.items.map((card) => ({
          courseId: card.id,
          title: card.title,
          ownerId: card.ownerId,
          categoryId: card.categoryId,
          categoryName: names.get(card.categoryId) ?? ""
        }))
      }).pipe(Effect.orDie)
  }))
)

/**
 * Media playback for non-owners: anyone may watch a video a published course shows in a preview lesson, and a
 * learner may watch one shown by a published course they are enrolled in.
 */
export const PlaybackAccessFromCatalogAndLearning = Layer.effect(
  PlaybackAccess,
  Effect.gen(function* () {
    const catalog = yield* CatalogService
    const learning = yield* Learning
    return {
      mayWatch: (mediaId, viewerId) =>
        Effect.gen(function* () {
          if (yield* catalog.mediaInPublishedPreview(mediaId)) return true
          if (viewerId === undefined) return false
          const courses = yield* catalog.publishedCoursesShowingMedia(mediaId)
          for (const courseId of courses) {
            if (yield* learning.isEnrolled(UserId.make(viewerId), courseId)) return true
          }
          return false
        })
    }
  })
)

/** The file name a client gave an upload (tus `filename` metadata), without directories or control characters. */
export const attachmentFilename = (given: string | null | undefined) => {
  const base = (given ?? "").split(/[/\\]/).pop() ?? ""
  const clean = base
    .replace(/[\p{Cc}\p{Cf}]/gu, "")
    .trim()
    .slice(0, 200)
  return clean === "" || clean === "." || clean === ".." ? "attachment" : clean
}

/** The declared type of an upload (tus `filetype` metadata) when it is a plain `type/subtype`, else octet-stream. */
export const attachmentContentType = (given: string | null | undefined) => {
  const type = (given ?? "").split(";", 1)[0]?.trim().toLowerCase() ?? ""
  return type.length <= 100 && /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(type)
    ? type
    : "application/octet-stream"
}

/**
 * Assignment attachments from media's tus uploads: a learner's complete upload is marked consumed (so neither media
 * nor a tus DELETE can take its bytes) in the same database, inside learning's transaction; its parts are read back
 * in order for download, and deleted when a resubmission drops the file. Needs MediaRepo and the BlobStore.
 */
export const SubmissionFilesFromMedia = Layer.effect(
  SubmissionFiles,
  Effect.gen(function* () {
    const repo = yield* MediaRepo
    const blobs = yield* BlobStore
    const rejected = (uploadId: string, reason: "notFound" | "incomplete", message: string) =>
      new Assignment.AttachmentRejected({ uploadId, reason, message })
    return {
      claim: (userId, uploadId) =>
        Effect.gen(function* () {
          const found = yield* repo.uploadById(uploadId)
          // Someone else's upload is as unknown as one that does not exist.
          if (Option.isNone(found) || found.value.ownerId !== userId || found.value.consumedAt !== null) {
            return yield* Effect.fail(rejected(uploadId, "notFound", "no such upload of yours, or already used"))
          }
          if (found.value.completedAt === null) {
            return yield* Effect.fail(rejected(uploadId, "incomplete", "the upload has not received every byte yet"))
          }
          const taken = yield* repo.consumeUpload(uploadId, userId)
          if (Option.isNone(taken)) {
            return yield* Effect.fail(rejected(uploadId, "notFound", "no such upload of yours, or already used"))
          }
          return {
            uploadId,
            filename: attachmentFilename(taken.value.metadata.filename),
            sizeBytes: taken.value.offset,
            contentType: attachmentContentType(taken.value.metadata.filetype)
          }
        }),
      open: (uploadId) =>
        Effect.gen(function* () {
          const upload = yield* repo.uploadById(uploadId)
          if (Option.isNone(upload)) return Option.none()
          return Option.some(
            yield* readUpload(upload.value).pipe(
              Effect.provideService(BlobStore, blobs),
              Effect.provideService(MediaRepo, repo),
              Effect.orDie
            )
          )
        }),
      discard: (uploadId) =>
        Effect.gen(function* () {
          yield* blobs.deleteByPrefix(uploadPrefix(uploadId)).pipe(Effect.orDie)
          yield* repo.deleteUpload(uploadId)
        })
    }
  })
)

/** SubmissionFilesFromMedia over media's repo and the BlobStore from config (the gateway's). */
export const SubmissionFilesFromMediaLive = SubmissionFilesFromMedia.pipe(
  Layer.provide(Layer.merge(MediaRepo.Default.pipe(Layer.provide(MediaSchemaLive)), blobStoreFromConfig))
)
