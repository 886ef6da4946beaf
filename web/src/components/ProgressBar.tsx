// A labelled progress bar: a native <progress> (announced with its value) plus the percentage as text.
export default function ProgressBar(props: { readonly percent: number; readonly label: string }) {
  const rounded = () => Math.round(Math.max(0, Math.min(100, props.percent)))
  return (
    <div class="progress-line">
      <progress max="100" value={rounded()} aria-label={props.label} />
      <span class="progress-text">{rounded()}% complete</span>
    </div>
  )
}
