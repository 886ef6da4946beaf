// A course's picture — its thumbnail's 480×270 or 1280×720 render, sized in the markup so nothing moves when it
// loads — or a neutral placeholder of the same shape when the course has none.
import { Show } from "solid-js"

/** The sizes of media's renders (`IMAGE_RENDERS` in the media contract): every thumbnail is exactly 16:9. */
export const RENDER_SIZES = { small: { width: 480, height: 270 }, large: { width: 1280, height: 720 } } as const

export interface Thumbnail {
  readonly small: string
  readonly large: string
}

export default function CourseImage(props: {
  readonly thumbnail: Thumbnail | null
  /** The course's title: the picture's text alternative. */
  readonly title: string
  readonly size: keyof typeof RENDER_SIZES
  /** Below the fold (course cards): the browser fetches it when it comes near. */
  readonly lazy?: boolean
  readonly class?: string
}) {
  const size = () => RENDER_SIZES[props.size]
  return (
    <Show
      when={props.thumbnail}
      fallback={
        <div
          class={`course-image course-image-placeholder ${props.class ?? ""}`}
          aria-hidden="true"
          data-testid="thumbnail-placeholder"
        />
      }
    >
      {(thumbnail) => (
        <img
          class={`course-image ${props.class ?? ""}`}
          src={thumbnail()[props.size]}
          alt={props.title}
          width={size().width}
          height={size().height}
          loading={props.lazy ? "lazy" : "eager"}
          decoding="async"
          data-testid="course-thumbnail"
        />
      )}
    </Show>
  )
}
