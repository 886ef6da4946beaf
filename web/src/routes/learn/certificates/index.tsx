// My certificates: one per completed course, each with its PDF (downloaded through the web app) and its public check.
import { Title } from "@solidjs/meta"
import { A, createAsync, type RouteDefinition } from "@solidjs/router"
import { For, Show } from "solid-js"
import Loaded from "../../../components/Loaded.tsx"
import { formatDate } from "../../../lib/format.ts"
import { certificatePdfHref, failureText, getCertificates } from "../../../lib/learning.ts"

export const route = {
  preload() {
    void getCertificates()
  }
} satisfies RouteDefinition

export default function Certificates() {
  const certificates = createAsync(() => getCertificates())
  return (
    <>
      <Title>My certificates — Lectern</Title>
      <p class="breadcrumb">
        <A href="/learn">My learning</A>
      </p>
      <h1>My certificates</h1>
      <Loaded
        outcome={certificates()}
        loading="Loading your certificates…"
        failed={(failure) => (
          <p class="form-error" role="alert">
            {failure._tag === "Unauthorized" ? (
              <>
                <A href="/login?next=/learn/certificates">Sign in</A> to see your certificates.
              </>
            ) : (
              failureText(failure)
            )}
          </p>
        )}
      >
        {(list) => (
          <Show
            when={list.length > 0}
            fallback={
              <p class="empty" data-testid="no-certificates">
                No certificates yet. Complete every lesson and pass every quiz of a course to earn one.
              </p>
            }
          >
            <ul class="plain-list certificate-list">
              <For each={list}>
                {(certificate) => (
                  <li class="certificate-card" data-testid="certificate">
                    <h2>{certificate.courseTitle}</h2>
                    <p>
                      Awarded to {certificate.learnerName} on {formatDate(certificate.issuedAt)}.
                    </p>
                    <p>
                      Code: <code data-testid="certificate-code">{certificate.code}</code>
                    </p>
                    <p class="actions">
                      <a
                        class="button button-small"
                        href={certificatePdfHref(certificate.id)}
                        download={`certificate-${certificate.code}.pdf`}
                        rel="external"
                        data-testid="certificate-pdf"
                      >
                        Download PDF<span class="visually-hidden"> for {certificate.courseTitle}</span>
                      </a>
                      <A href={`/verify/${encodeURIComponent(certificate.code)}`}>
                        Check it<span class="visually-hidden"> ({certificate.courseTitle})</span>
                      </A>
                    </p>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        )}
      </Loaded>
    </>
  )
}
