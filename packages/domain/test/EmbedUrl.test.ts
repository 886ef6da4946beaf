// The embed URL parser: every URL form YouTube, Dailymotion and Vimeo use, and the look-alikes it must refuse.

import { describe, expect, it } from "@effect/vitest"
import { embedUrl, parseEmbedUrl } from "../src/EmbedUrl.ts"

const YT = "dQw4w9WgXcQ"

describe("parseEmbedUrl", () => {
  describe("YouTube", () => {
    it.each([
      `https://www.youtube.com/watch?v=${YT}`,
      `https://youtube.com/watch?v=${YT}`,
      `http://www.youtube.com/watch?v=${YT}`,
      `https://m.youtube.com/watch?v=${YT}`,
      `https://music.youtube.com/watch?v=${YT}&feature=share`,
      `https://www.youtube.com/watch?feature=youtu.be&v=${YT}`,
      `https://www.youtube.com/watch?v=${YT}&t=42s&list=PL590L5WQmH8fJ54F369BLDSqIwcs-TCfs&index=3`,
      `https://www.youtube.com/watch?v=${YT}#t=1m2s`,
      `https://youtu.be/${YT}`,
      `https://youtu.be/${YT}?si=AbCdEfGh12345678&t=10`,
      `youtu.be/${YT}`,
      `www.youtube.com/watch?v=${YT}`,
      `https://www.youtube.com/shorts/${YT}`,
      `https://youtube.com/shorts/${YT}?feature=share`,
      `https://www.youtube.com/embed/${YT}`,
      `https://www.youtube.com/embed/${YT}?start=30&autoplay=1`,
      `https://www.youtube-nocookie.com/embed/${YT}`,
      `https://www.youtube.com/live/${YT}?si=abc`,
      `https://www.youtube.com/v/${YT}`,
      `https://www.youtube.com/e/${YT}`,
      `https://WWW.YOUTUBE.COM/watch?v=${YT}`,
      `  https://youtu.be/${YT}  `,
      `https://www.youtube.com/attribution_link?a=abc&u=%2Fwatch%3Fv%3D${YT}%26feature%3Dshare`
    ])("%s", (url) => {
      expect(parseEmbedUrl(url)).toEqual({ provider: "youtube", videoId: YT })
    })

    it("keeps the id's case, which YouTube distinguishes", () => {
      expect(parseEmbedUrl("https://youtu.be/AbC-_123xYz")).toEqual({ provider: "youtube", videoId: "AbC-_123xYz" })
    })

    it.each([
      "https://www.youtube.com/",
      "https://www.youtube.com/watch",
      "https://www.youtube.com/watch?v=short",
      `https://www.youtube.com/watch?v=${YT}x`,
      "https://www.youtube.com/playlist?list=PL590L5WQmH8fJ54F369BLDSqIwcs-TCfs",
      "https://www.youtube.com/embed/videoseries?list=PL590L5WQmH8fJ54F369BLDSqIwcs-TCfs",
      "https://www.youtube.com/channel/UC38IQsAvIsxxjztdMZQtwHA",
      "https://www.youtube.com/@somechannel",
      `https://www.youtube.com/results?search_query=${YT}`,
      `https://youtube.com.evil.example/watch?v=${YT}`,
      `https://evil.example/youtube.com/watch?v=${YT}`,
      `https://notyoutube.com/watch?v=${YT}`,
      "https://youtu.be/bad%20id12345",
      `javascript:alert(1)//youtu.be/${YT}`,
      `ftp://youtu.be/${YT}`,
      `https://www.youtube.com/attribution_link?u=https://evil.example/watch?v=${YT}`
    ])("refuses %s", (url) => {
      expect(parseEmbedUrl(url)).toBeUndefined()
    })
  })

  describe("Dailymotion", () => {
    it.each([
      ["https://www.dailymotion.com/video/x8abc12", "x8abc12"],
      ["https://dailymotion.com/video/x8abc12?playlist=x6hynp", "x8abc12"],
      ["https://www.dailymotion.com/video/x7tgad0_some-title-of-the-video_news", "x7tgad0"],
      ["https://touch.dailymotion.com/video/x8abc12", "x8abc12"],
      ["https://www.dailymotion.com/embed/video/x8abc12?autoplay=1", "x8abc12"],
      ["https://dai.ly/x8abc12", "x8abc12"],
      ["dai.ly/x8abc12", "x8abc12"],
      ["https://geo.dailymotion.com/player.html?video=x8abc12", "x8abc12"],
      ["https://geo.dailymotion.com/player/xjrxe.html?video=k4H5cQuizk2JqRi6D8e", "k4H5cQuizk2JqRi6D8e"]
    ])("%s", (url, videoId) => {
      expect(parseEmbedUrl(url)).toEqual({ provider: "dailymotion", videoId })
    })

    it.each([
      "https://www.dailymotion.com/",
      "https://www.dailymotion.com/playlist/x6hynp",
      "https://www.dailymotion.com/someuser",
      "https://www.dailymotion.com/video/",
      "https://www.dailymotion.com/video/x!bad",
      "https://geo.dailymotion.com/player.html",
      "https://dailymotion.com.evil.example/video/x8abc12"
    ])("refuses %s", (url) => {
      expect(parseEmbedUrl(url)).toBeUndefined()
    })
  })

  describe("Vimeo", () => {
    it.each([
      ["https://vimeo.com/123456789", "123456789"],
      ["https://www.vimeo.com/123456789", "123456789"],
      ["https://vimeo.com/123456789?share=copy", "123456789"],
      ["https://vimeo.com/123456789#t=30s", "123456789"],
      ["https://vimeo.com/123456789/abcdef1234", "123456789"],
      ["https://vimeo.com/channels/staffpicks/123456789", "123456789"],
      ["https://vimeo.com/groups/shortfilms/videos/123456789", "123456789"],
      ["https://vimeo.com/album/2222/video/123456789", "123456789"],
      ["https://vimeo.com/showcase/2222/video/123456789", "123456789"],
      ["https://vimeo.com/manage/videos/123456789", "123456789"],
      ["https://vimeo.com/video/123456789", "123456789"],
      ["https://player.vimeo.com/video/123456789", "123456789"],
      ["https://player.vimeo.com/video/123456789?h=abcdef1234&badge=0", "123456789"],
      ["vimeo.com/123456789", "123456789"]
    ])("%s", (url, videoId) => {
      expect(parseEmbedUrl(url)).toEqual({ provider: "vimeo", videoId })
    })

    it.each([
      "https://vimeo.com/",
      "https://vimeo.com/channels/staffpicks",
      "https://vimeo.com/showcase/2222",
      "https://vimeo.com/album/2222",
      "https://vimeo.com/someuser",
      "https://vimeo.com/groups/shortfilms",
      "https://player.vimeo.com/123456789",
      "https://vimeo.com.evil.example/123456789"
    ])("refuses %s", (url) => {
      expect(parseEmbedUrl(url)).toBeUndefined()
    })
  })

  it.each([
    "",
    "   ",
    "not a url",
    "https://",
    "https://example.com/watch?v=dQw4w9WgXcQ",
    `https://x.y/${"a".repeat(3000)}`
  ])("refuses %j", (url) => {
    expect(parseEmbedUrl(url)).toBeUndefined()
  })
})

describe("embedUrl", () => {
  it("builds each provider's player URL", () => {
    expect(embedUrl({ provider: "youtube", videoId: YT })).toBe(`https://www.youtube-nocookie.com/embed/${YT}`)
    expect(embedUrl({ provider: "dailymotion", videoId: "x8abc12" })).toBe(
      "https://www.dailymotion.com/embed/video/x8abc12"
    )
    expect(embedUrl({ provider: "vimeo", videoId: "123456789" })).toBe("https://player.vimeo.com/video/123456789")
  })

  it("round-trips: the player URL parses back to the same embed", () => {
    for (const embed of [
      { provider: "youtube", videoId: YT },
      { provider: "dailymotion", videoId: "x8abc12" },
      { provider: "vimeo", videoId: "123456789" }
    ] as const) {
      expect(parseEmbedUrl(embedUrl(embed))).toEqual(embed)
    }
  })
})
