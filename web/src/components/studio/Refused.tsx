// What a studio or admin page shows when its query failed: 403 for a missing role, 404 for a missing thing, else why.
import { Title } from "@solidjs/meta"
import { A } from "@solidjs/router"
import { HttpStatusCode } from "@solidjs/start"
import { Match, Switch } from "solid-js"
import type { Failure } from "../../lib/outcome.ts"

export default function Refused(props: { readonly failure: Failure }) {
  return (
    <Switch
      fallback={
        <>
          <Title>Something went wrong — Lectern</Title>
          <h1>This could not be loaded</h1>
          <p class="form-error" role="alert">
            {props.failure.message || "Please try again."}
          </p>
        </>
      }
    >
      <Match when={props.failure._tag === "Forbidden"}>
        <HttpStatusCode code={403} />
        <Title>Not allowed — Lectern</Title>
        <h1>You cannot open this page</h1>
        <p class="form-error" role="alert" data-testid="forbidden">
          {props.failure.message || "Your account does not have the role this page needs."}
        </p>
        <p>
          {props.failure.role === "learner" ? (
            <A href="/studio">Apply to become a creator</A>
          ) : (
            <A href="/">Back to the home page</A>
          )}
        </p>
      </Match>
      <Match when={/NotFound$/.test(props.failure._tag)}>
        <HttpStatusCode code={404} />
        <Title>Not found — Lectern</Title>
        <h1>Not found</h1>
        <p>{props.failure.message || "There is nothing here."}</p>
        <p>
          <A href="/studio">Back to the studio</A>
        </p>
      </Match>
    </Switch>
  )
}
