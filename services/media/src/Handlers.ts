// Maps every MediaRpcs call to the MediaLibrary or the ImageLibrary, and nothing else.
import { Media as Contract, CurrentUser, CurrentViewer } from "@lectern/contracts"
import { Effect, Option } from "effect"
import { ImageLibrary } from "./Images.ts"
import { MediaLibrary } from "./MediaLibrary.ts"

export const MediaHandlers = Contract.MediaRpcs.toLayer(
  Effect.gen(function* () {
    const library = yield* MediaLibrary
    const images = yield* ImageLibrary
    const withUser = <A, E, R>(f: (user: CurrentUser["Type"]) => Effect.Effect<A, E, R>) =>
      Effect.flatMap(CurrentUser, f)
    const withViewer = <A, E, R>(f: (viewer: CurrentUser["Type"] | undefined) => Effect.Effect<A, E, R>) =>
      Effect.flatMap(CurrentViewer, (viewer) => f(Option.getOrUndefined(viewer)))

    return Contract.MediaRpcs.of({
      "media.playback": (input) => withViewer((viewer) => library.playback(viewer, input.mediaId)),
      "embed.resolve": (input) => library.resolveEmbed(input.url),
      "media.create": (input) => withUser((user) => library.create(user, input)),
      "media.get": (input) => withUser((user) => library.get(user, input.id)),
      "media.list": (input) => withUser((user) => library.list(user, input)),
      "media.retry": (input) => withUser((user) => library.retry(user, input.id)),
      "media.delete": (input) => withUser((user) => library.remove(user, input.id)),
      "caption.upload": (input) => withUser((user) => library.uploadCaption(user, input)),
      "caption.delete": (input) => withUser((user) => library.deleteCaption(user, input)),
      "image.create": (input) => withUser((user) => images.create(user, input)),
      "image.delete": (input) => withUser((user) => images.remove(user, input.id))
    })
  })
)
