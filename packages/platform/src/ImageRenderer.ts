// The ImageRenderer port: check an uploaded picture by its bytes and ffprobe, then render cover-cropped JPEGs of it.
import { Context, type Effect, type Scope } from "effect"
import type { InvalidMedia, TranscodeFailed } from "./Transcoder.ts"

export interface ImageLimits {
  /** Largest accepted file. */
  readonly maxBytes: number
  readonly maxWidth: number
  readonly maxHeight: number
}

/** What the probe found: the demuxer FFmpeg chose, the codec and the picture's size. */
export interface ImageProbe {
  readonly formatName: string
  readonly codec: string
  readonly width: number
  readonly height: number
  readonly sizeBytes: number
}

/** One render to make: exactly `width`×`height`, the picture scaled to cover it and cropped around its centre. */
export interface ImageTarget {
  /** Letters, digits and `-`: the output file is `<name>.jpg`. */
  readonly name: string
  readonly width: number
  readonly height: number
}

export interface RenderedImage extends ImageTarget {
  /** A JPEG in a temporary directory that lives as long as the scope of the render. */
  readonly path: string
  readonly sizeBytes: number
}

export interface ImageRendererService {
  /**
   * Reads `inputPath` (a local file) and refuses, with InvalidMedia and a reason a person can act on, anything but
   * one JPEG, PNG or WebP picture within `limits`: empty files, text (SVG included), videos and other formats.
   */
  readonly probe: (inputPath: string, limits: ImageLimits) => Effect.Effect<ImageProbe, InvalidMedia | TranscodeFailed>
  /**
   * Renders each target as a baseline JPEG without the source's metadata (EXIF, GPS, comments), transparent areas on
   * white. InvalidMedia when FFmpeg cannot decode the picture; TranscodeFailed when it could not run.
   */
  readonly render: (
    inputPath: string,
    targets: ReadonlyArray<ImageTarget>
  ) => Effect.Effect<ReadonlyArray<RenderedImage>, InvalidMedia | TranscodeFailed, Scope.Scope>
}

export class ImageRenderer extends Context.Tag("@lectern/platform/ImageRenderer")<
  ImageRenderer,
  ImageRendererService
>() {}
