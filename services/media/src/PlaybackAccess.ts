// Who besides the owner and admins may watch a media: the answer comes from the services that use media in lessons.
import type { MediaId } from "@lectern/domain"
import { Context, Effect, Layer } from "effect"

export interface PlaybackAccessService {
  /**
   * True when some published course shows `mediaId` in a preview lesson (anyone may watch), or — once learning
   * exists — when `viewerId` is enrolled in a course that uses it.
   */
  readonly mayWatch: (mediaId: MediaId, viewerId: string | undefined) => Effect.Effect<boolean>
}

export class PlaybackAccess extends Context.Tag("@lectern/media/PlaybackAccess")<
  PlaybackAccess,
  PlaybackAccessService
>() {}

/** Nobody but owners and admins: for media running without catalog. */
export const layerOwnersOnly = Layer.succeed(PlaybackAccess, { mayWatch: () => Effect.succeed(false) })
