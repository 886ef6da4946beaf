// Certificate verification: anyone holding a certificate's code (or its QR link) can check it here.
import { Title } from "@solidjs/meta"
import { A, createAsync, type RouteDefinition, type RouteSectionProps } from "@solidjs/router"
import Loaded from "../../components/Loaded.tsx"
import { verifyCertificate } from "../../lib/catalog.ts"
import { formatDate } from "../../lib/format.ts"

export const route = {
  preload({ params }) {
    if (params.code) void verifyCertificate(params.code)
  }
} satisfies RouteDefinition

export default function Verify(props: RouteSectionProps) {
  const result = createAsync(() => verifyCertificate(props.params.code ?? ""))
  return (
    <>
      <Title>Certificate check — Lectern</Title>
      <h1>Certificate check</h1>
      <Loaded outcome={result()} loading="Checking the certificate…">
        {(verification) =>
          verification.valid ? (
            <section class="certificate" data-testid="certificate-valid" aria-label="Valid certificate">
              <p>
                <strong>This certificate is valid.</strong>
              </p>
              <p>
                <strong>{verification.learnerName}</strong> completed <strong>{verification.courseTitle}</strong> on
                Lectern on {formatDate(verification.issuedAt)}.
              </p>
            </section>
          ) : (
            <section class="certificate invalid" data-testid="certificate-invalid" aria-label="Unknown certificate">
              <p>
                <strong>No Lectern certificate has this code.</strong> Check that it was typed exactly as printed.
              </p>
            </section>
          )
        }
      </Loaded>
      <p>
        <A href="/courses">Browse the courses</A>
      </p>
    </>
  )
}
