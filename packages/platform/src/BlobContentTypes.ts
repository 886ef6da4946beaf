// Content types of blob objects, inferred from the key's extension (the filesystem store keeps no metadata).

const byExtension = new Map<string, string>([
  ["m3u8", "application/vnd.apple.mpegurl"],
  ["ts", "video/mp2t"],
  ["m4s", "video/mp4"],
  ["mp4", "video/mp4"],
  ["m4a", "audio/mp4"],
  ["jpg", "image/jpeg"],
  ["jpeg", "image/jpeg"],
  ["png", "image/png"],
  ["webp", "image/webp"],
  ["vtt", "text/vtt"],
  ["json", "application/json"]
])

/** The content type the extension of `key`'s last segment implies (case-insensitive), or undefined when unknown. */
export const contentTypeOf = (key: string): string | undefined => {
  const name = key.slice(key.lastIndexOf("/") + 1)
  const dot = name.lastIndexOf(".")
  return dot <= 0 ? undefined : byExtension.get(name.slice(dot + 1).toLowerCase())
}
