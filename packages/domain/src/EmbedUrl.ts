// Finds the provider and video id in any URL form YouTube, Dailymotion or Vimeo use, and builds their player URLs.
export type EmbedProvider = "youtube" | "dailymotion" | "vimeo"

export interface Embed {
  readonly provider: EmbedProvider
  readonly videoId: string
}

const YOUTUBE_ID = /^[A-Za-z0-9_-]{11}$/
const DAILYMOTION_ID = /^[A-Za-z0-9]{5,24}$/
const VIMEO_ID = /^\d{1,12}$/

const YOUTUBE_HOSTS = new Set(["youtube.com", "m.youtube.com", "music.youtube.com", "youtube-nocookie.com", "youtu.be"])
const DAILYMOTION_HOSTS = new Set(["dailymotion.com", "touch.dailymotion.com", "geo.dailymotion.com", "dai.ly"])
const VIMEO_HOSTS = new Set(["vimeo.com", "player.vimeo.com"])

/** The paths that carry a YouTube video id as their second segment (`/embed/<id>`, `/shorts/<id>`, …). */
const YOUTUBE_ID_PATHS = new Set(["embed", "shorts", "live", "v", "e"])

const toUrl = (input: string): URL | undefined => {
  const text = input.trim()
  if (text.length === 0 || text.length > 2048) return undefined
  // People paste `youtu.be/…` or `www.youtube.com/…` without a scheme.
  const withScheme = /^[a-z][a-z0-9+.-]*:/i.test(text) ? text : `https://${text}`
  try {
    const url = new URL(withScheme)
    return url.protocol === "https:" || url.protocol === "http:" ? url : undefined
  } catch {
    return undefined
  }
}

const segmentsOf = (url: URL) => url.pathname.split("/").filter((segment) => segment.length > 0)

const youtubeCandidate = (url: URL, host: string, nested: boolean): string | undefined => {
  const [first, second] = segmentsOf(url)
  if (host === "youtu.be") return first
  if (first === "watch") return url.searchParams.get("v") ?? second
  if (first !== undefined && YOUTUBE_ID_PATHS.has(first)) return second
  // `/attribution_link?u=/watch%3Fv%3D<id>…`: the id is in the nested watch URL (followed once).
  if (first === "attribution_link" && !nested) {
    const inner = url.searchParams.get("u")
    const innerUrl = inner?.startsWith("/") ? toUrl(`https://www.youtube.com${inner}`) : undefined
    return innerUrl === undefined ? undefined : youtubeCandidate(innerUrl, "youtube.com", true)
  }
  return undefined
}

const youtube = (url: URL, host: string): string | undefined => {
  const candidate = youtubeCandidate(url, host, false)
  // `/embed/videoseries?list=…` is a playlist, and "videoseries" happens to look like an id.
  return candidate !== undefined && candidate !== "videoseries" && YOUTUBE_ID.test(candidate) ? candidate : undefined
}

const dailymotionCandidate = (url: URL, host: string): string | undefined => {
  const [first, second, third] = segmentsOf(url)
  if (host === "dai.ly") return first
  if (host === "geo.dailymotion.com") return url.searchParams.get("video") ?? undefined
  if (first === "video") return second
  if (first === "embed" && second === "video") return third
  return undefined
}

const dailymotion = (url: URL, host: string): string | undefined => {
  // Old page URLs append the title: `/video/x7tgad0_some-title`.
  const id = dailymotionCandidate(url, host)?.split("_")[0]
  return id !== undefined && DAILYMOTION_ID.test(id) ? id : undefined
}

/** Vimeo page paths that name one video; the id is the first capture. */
const VIMEO_PATHS = [
  /^\/(\d+)(?:\/[0-9a-f]+)?\/?$/, // `/123`, and `/123/<hash>` for an unlisted video
  /^\/video\/(\d+)\/?$/,
  /^\/channels\/[^/]+\/(\d+)\/?$/,
  /^\/groups\/[^/]+\/videos\/(\d+)\/?$/,
  /^\/(?:album|showcase)\/\d+\/video\/(\d+)\/?$/,
  /^\/manage\/videos\/(\d+)(?:\/.*)?$/
]
const VIMEO_PLAYER_PATH = /^\/video\/(\d+)\/?$/

const vimeo = (url: URL, host: string): string | undefined => {
  const patterns = host === "player.vimeo.com" ? [VIMEO_PLAYER_PATH] : VIMEO_PATHS
  for (const pattern of patterns) {
    const id = pattern.exec(url.pathname)?.[1]
    if (id !== undefined && VIMEO_ID.test(id)) return id
  }
  return undefined
}

/** The embed a URL points at, or undefined when it is not a single video of a supported provider. */
export const parseEmbedUrl = (input: string): Embed | undefined => {
  const url = toUrl(input)
  if (url === undefined) return undefined
  const host = url.hostname.toLowerCase().replace(/^www\./, "")
  if (YOUTUBE_HOSTS.has(host)) {
    const videoId = youtube(url, host)
    return videoId === undefined ? undefined : { provider: "youtube", videoId }
  }
  if (DAILYMOTION_HOSTS.has(host)) {
    const videoId = dailymotion(url, host)
    return videoId === undefined ? undefined : { provider: "dailymotion", videoId }
  }
  if (VIMEO_HOSTS.has(host)) {
    const videoId = vimeo(url, host)
    return videoId === undefined ? undefined : { provider: "vimeo", videoId }
  }
  return undefined
}

/** The player URL for an iframe; YouTube's privacy-enhanced host sets no cookies until the video plays. */
export const embedUrl = (embed: Embed): string => {
  switch (embed.provider) {
    case "youtube":
      return `https://www.youtube-nocookie.com/embed/${embed.videoId}`
    case "dailymotion":
      return `https://www.dailymotion.com/embed/video/${embed.videoId}`
    case "vimeo":
      return `https://player.vimeo.com/video/${embed.videoId}`
  }
}

/**
 * A still for the embed, from the provider's public image host; Vimeo has none without a call to its oEmbed API
 * (undefined), which resolving a URL deliberately does not make.
 */
export const embedThumbnailUrl = (embed: Embed): string | undefined => {
  switch (embed.provider) {
    case "youtube":
      return `https://i.ytimg.com/vi/${embed.videoId}/hqdefault.jpg`
    case "dailymotion":
      return `https://www.dailymotion.com/thumbnail/video/${embed.videoId}`
    case "vimeo":
      return undefined
  }
}
