// An embed lesson: the provider's own player in an iframe (YouTube, Vimeo or Dailymotion, as the page's CSP allows).
const PROVIDERS: Readonly<Record<string, string>> = { youtube: "YouTube", vimeo: "Vimeo", dailymotion: "Dailymotion" }

export default function EmbedLesson(props: {
  readonly title: string
  readonly embedUrl: string
  readonly provider: string
}) {
  return (
    <div class="embed-lesson">
      <div class="video-frame">
        <iframe
          src={props.embedUrl}
          title={`${props.title} (${PROVIDERS[props.provider] ?? props.provider} video)`}
          allow="encrypted-media; fullscreen; picture-in-picture"
          allowfullscreen
          loading="lazy"
          // The app's pages send no referrer elsewhere; providers' players want the origin.
          referrerpolicy="strict-origin-when-cross-origin"
        />
      </div>
      <p class="hint">
        This video plays on {PROVIDERS[props.provider] ?? props.provider}'s player, which does not report to Lectern
        what was watched, so it does not count towards your progress.
      </p>
    </div>
  )
}
