// Any path no route claims: a 404 page with a way back.
import { Title } from "@solidjs/meta"
import { A } from "@solidjs/router"
import { HttpStatusCode } from "@solidjs/start"

export default function NotFound() {
  return (
    <>
      <Title>Page not found — Lectern</Title>
      <HttpStatusCode code={404} />
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. <A href="/courses">Browse the courses</A> or go to the{" "}
        <A href="/">home page</A>.
      </p>
    </>
  )
}
