// How learning takes the files a learner uploaded (tus, at the media service) as assignment attachments, and reads
// them back for download.
import type * as Assignment from "@lectern/contracts/LearningAssignment"
import type { UserId } from "@lectern/domain"
import { Context, type Effect, type Option, type Stream } from "effect"

/** What learning records of an attached file. */
export interface SubmissionFile {
  readonly uploadId: string
  readonly filename: string
  readonly sizeBytes: number
  readonly contentType: string
}

export interface SubmissionFilesService {
  /**
   * Takes `userId`'s complete upload for a submission: from then on it cannot be taken again (by media either) nor
   * terminated over tus. Refused as `notFound` when there is no such upload, it is someone else's or already taken,
   * and as `incomplete` when not every byte arrived. Where the upload's store shares learning's database (the
   * gateway), the taking joins the caller's transaction and is undone with it.
   */
  readonly claim: (userId: UserId, uploadId: string) => Effect.Effect<SubmissionFile, Assignment.AttachmentRejected>
  /** A taken upload's bytes; None when they are gone. */
  readonly open: (
    uploadId: string
  ) => Effect.Effect<Option.Option<{ readonly size: number; readonly body: Stream.Stream<Uint8Array, unknown> }>>
  /** Deletes a taken upload and its bytes (a resubmission no longer lists it). */
  readonly discard: (uploadId: string) => Effect.Effect<void>
}

export class SubmissionFiles extends Context.Tag("@lectern/learning/SubmissionFiles")<
  SubmissionFiles,
  SubmissionFilesService
>() {}
