// Types for m3u8-parser (video.js's HLS playlist parser), which ships none: only what the tests call.
declare module "m3u8-parser" {
  export class Parser {
    push(chunk: string): void
    end(): void
    /** A loose bag of optional fields (playlists, mediaGroups, segments, …); tests narrow what they read. */
    // biome-ignore lint/suspicious/noExplicitAny: the parsed manifest has no published shape
    readonly manifest: any
  }
}
