// embed.resolve over HTTP, anonymously: the YouTube, Dailymotion and Vimeo URL shapes people paste become the
// provider, the video id, the embed URL and a thumbnail; anything else is EmbedNotSupported.
import { describe, expect, it } from "@effect/vitest"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { Effect } from "effect"
import * as TestServices from "effect/TestServices"
import { clientAs, makeMediaTestLayer, serveMedia, userWith } from "./fixtures.ts"

const youtube = (videoId: string) => ({
  provider: "youtube",
  videoId,
  embedUrl: `https://www.youtube-nocookie.com/embed/${videoId}`,
  thumbnailUrl: `https://i.ytimg.com/vi/${videoId}/hqdefault.jpg`
})

const resolved: ReadonlyArray<readonly [string, object]> = [
  ["https://www.youtube.com/watch?v=dQw4w9WgXcQ", youtube("dQw4w9WgXcQ")],
  ["https://youtube.com/watch?v=dQw4w9WgXcQ&t=42s&list=PL123", youtube("dQw4w9WgXcQ")],
  ["https://m.youtube.com/watch?v=dQw4w9WgXcQ", youtube("dQw4w9WgXcQ")],
  ["https://youtu.be/dQw4w9WgXcQ", youtube("dQw4w9WgXcQ")],
  ["https://youtu.be/dQw4w9WgXcQ?t=10", youtube("dQw4w9WgXcQ")],
  ["https://www.youtube.com/shorts/aqz-KE-bpKQ", youtube("aqz-KE-bpKQ")],
  ["https://www.youtube.com/embed/dQw4w9WgXcQ", youtube("dQw4w9WgXcQ")],
  [
    "https://www.dailymotion.com/video/x8abcd1",
    {
      provider: "dailymotion",
      videoId: "x8abcd1",
      embedUrl: "https://www.dailymotion.com/embed/video/x8abcd1",
      thumbnailUrl: "https://www.dailymotion.com/thumbnail/video/x8abcd1"
    }
  ],
  [
    "https://dai.ly/x8abcd1",
    {
      provider: "dailymotion",
      videoId: "x8abcd1",
      embedUrl: "https://www.dailymotion.com/embed/video/x8abcd1",
      thumbnailUrl: "https://www.dailymotion.com/thumbnail/video/x8abcd1"
    }
  ],
  [
    "https://player.vimeo.com/video/76979871",
    {
      provider: "vimeo",
      videoId: "76979871",
      embedUrl: "https://player.vimeo.com/video/76979871",
      thumbnailUrl: null
    }
  ],
  [
    "https://vimeo.com/76979871",
    {
      provider: "vimeo",
      videoId: "76979871",
      embedUrl: "https://player.vimeo.com/video/76979871",
      thumbnailUrl: null
    }
  ]
]

const unsupported = [
  "https://example.com/watch?v=dQw4w9WgXcQ",
  "https://www.youtube.com/watch",
  "https://www.youtube.com/watch?v=short",
  "https://www.youtube.com/@somechannel",
  "https://www.youtube.com/playlist?list=PL1234567890",
  "https://youtu.be.evil.example/dQw4w9WgXcQ",
  "https://vimeo.com/channels/staffpicks",
  "javascript:alert(1)",
  "not a url at all",
  ""
]

describe("embed.resolve", () => {
  it.layer(makeMediaTestLayer(layerFreshPostgres, { worker: false }), { timeout: 60_000 })((it) => {
    it.scoped("resolves YouTube, Dailymotion and Vimeo URLs without a token", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const anonymous = yield* clientAs(yield* serveMedia, undefined)
          for (const [url, expected] of resolved) {
            expect({ url, ...(yield* anonymous.embed.resolve({ url })) }).toEqual({ url, ...expected })
          }
        })
      )
    )

    it.scoped("answers EmbedNotSupported for anything else", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const anonymous = yield* clientAs(yield* serveMedia, undefined)
          for (const url of unsupported) {
            const error = yield* Effect.flip(anonymous.embed.resolve({ url }))
            expect({ url, tag: error._tag }).toEqual({ url, tag: "EmbedNotSupported" })
          }
        })
      )
    )

    it.scoped("answers the same to a signed-in caller", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const learner = yield* clientAs(yield* serveMedia, yield* userWith("learner"))
          expect(yield* learner.embed.resolve({ url: "https://youtu.be/dQw4w9WgXcQ" })).toEqual(youtube("dQw4w9WgXcQ"))
        })
      )
    )
  })
})
