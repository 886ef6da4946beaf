// Renders a server function's outcome: a loading line, the value, or its failure — one pattern for every page.
import { type JSX, Show } from "solid-js"
import type { Failure, Outcome } from "../lib/outcome.ts"

export default function Loaded<A>(props: {
  readonly outcome: Outcome<A> | undefined
  readonly loading: string
  readonly failed?: (failure: Failure) => JSX.Element
  readonly children: (value: A) => JSX.Element
}) {
  return (
    <Show when={props.outcome} fallback={<p class="loading">{props.loading}</p>} keyed>
      {(outcome) =>
        outcome.ok ? (
          props.children(outcome.value)
        ) : props.failed ? (
          props.failed(outcome.error)
        ) : (
          <p class="form-error" role="alert">
            {outcome.error.message || "This could not be loaded."}
          </p>
        )
      }
    </Show>
  )
}
