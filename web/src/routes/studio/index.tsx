// The studio's front page: a learner's "become a creator" application and its status; a creator's courses.
import { Title } from "@solidjs/meta"
import { A, createAsync, type RouteDefinition, useSubmission } from "@solidjs/router"
import { For, Match, Show, Switch } from "solid-js"
import Field from "../../components/Field.tsx"
import { FormError } from "../../components/FormMessage.tsx"
import Loaded from "../../components/Loaded.tsx"
import { TextAreaField } from "../../components/studio/Fields.tsx"
import Refused from "../../components/studio/Refused.tsx"
import { failureOf } from "../../components/studio/results.ts"
import { formatDate, formatPrice, plural } from "../../lib/format.ts"
import {
  type ApplicationView,
  applyAsCreator,
  type CourseView,
  getStudioHome,
  STATUS_NAMES,
  type StudioHome
} from "../../lib/studio.ts"

export const route = {
  preload() {
    void getStudioHome()
  }
} satisfies RouteDefinition

function ApplicationForm() {
  const submission = useSubmission(applyAsCreator)
  const failed = () => failureOf(submission.result)
  return (
    <section aria-labelledby="apply-title" class="studio-panel">
      <h2 id="apply-title">Become a creator</h2>
      <p>Tell us what you would teach. An admin reads every application and answers here.</p>
      <form action={applyAsCreator} method="post" novalidate>
        <TextAreaField
          name="bio"
          label="About you and what you would teach"
          hint="At least 20 characters."
          rows={5}
          required
          failure={failed()}
        />
        <Field
          name="topics"
          label="Topics"
          hint="Separate topics with commas, e.g. Effect, TypeScript."
          required
          failure={failed()}
        />
        <Field
          name="experienceYears"
          label="Years of experience"
          type="number"
          min="0"
          max="80"
          inputmode="numeric"
          value="0"
          failure={failed()}
        />
        <Field
          name="portfolioUrl"
          label="Portfolio or website (optional)"
          type="url"
          placeholder="https://"
          failure={failed()}
        />
        <FormError failure={failed()} />
        <button type="submit" class="button" disabled={submission.pending}>
          {submission.pending ? "Sending…" : "Send application"}
        </button>
      </form>
    </section>
  )
}

function ApplicationStatus(props: { readonly application: ApplicationView }) {
  return (
    <section aria-labelledby="application-title" class="studio-panel" data-testid="application-status">
      <h2 id="application-title">Your creator application</h2>
      <Switch>
        <Match when={props.application.status === "pending"}>
          <p class="notice" role="status">
            Sent on {formatDate(props.application.createdAt)}. An admin will review it soon.
          </p>
        </Match>
        <Match when={props.application.status === "approved"}>
          <p class="notice" role="status">
            Approved. Welcome, creator! <A href="/studio">Open your studio</A>.
          </p>
        </Match>
        <Match when={props.application.status === "rejected"}>
          <p class="warning" role="status">
            Not approved{props.application.decidedAt ? ` on ${formatDate(props.application.decidedAt)}` : ""}.
          </p>
        </Match>
      </Switch>
      <Show when={props.application.reviewerNotes}>
        {(notes) => (
          <blockquote class="review-note">
            <p>{notes()}</p>
          </blockquote>
        )}
      </Show>
      <p class="hint">Topics: {props.application.topics.join(", ")}</p>
    </section>
  )
}

function CourseRow(props: { readonly course: CourseView }) {
  return (
    <li class="studio-course" data-testid="studio-course">
      <div>
        <h3>
          <A href={`/studio/courses/${props.course.id}`}>{props.course.title}</A>
        </h3>
        <p class="hint">
          {plural(props.course.lessonCount, "lesson")} · {formatPrice(props.course.price)} · updated{" "}
          {formatDate(props.course.updatedAt)}
        </p>
      </div>
      <span class={`status status-${props.course.status}`}>{STATUS_NAMES[props.course.status]}</span>
    </li>
  )
}

function Home(props: { readonly home: StudioHome }) {
  const application = () => props.home.application
  return (
    <>
      <h1>Studio</h1>
      <Show
        when={props.home.courses}
        fallback={
          <Show
            when={application() !== null && application()?.status !== "rejected" ? application() : undefined}
            fallback={
              <>
                <Show when={application()}>{(rejected) => <ApplicationStatus application={rejected()} />}</Show>
                <ApplicationForm />
              </>
            }
          >
            {(current) => <ApplicationStatus application={current()} />}
          </Show>
        }
      >
        {(courses) => (
          <section aria-labelledby="courses-title">
            <div class="section-head">
              <h2 id="courses-title">Your courses</h2>
              <A href="/studio/courses/new" class="button">
                New course
              </A>
            </div>
            <Show when={courses().length > 0} fallback={<p class="empty">No courses yet. Start with “New course”.</p>}>
              <ul class="plain-list studio-courses">
                <For each={courses()}>{(course) => <CourseRow course={course} />}</For>
              </ul>
            </Show>
          </section>
        )}
      </Show>
      <Show when={props.home.viewer.role === "admin"}>
        <p>
          <A href="/admin">Open the admin area</A>
        </p>
      </Show>
    </>
  )
}

export default function Studio() {
  const home = createAsync(() => getStudioHome())
  return (
    <>
      <Title>Studio — Lectern</Title>
      <Loaded outcome={home()} loading="Loading your studio…" failed={(failure) => <Refused failure={failure} />}>
        {(value) => <Home home={value} />}
      </Loaded>
    </>
  )
}
