// The lesson player: the course's curriculum with ticks beside the current lesson — a video (HLS), an article, a
// provider's embed or a quiz — with previous/next lesson links and the course's progress.
import { Title } from "@solidjs/meta"
import { A, createAsync, type RouteDefinition, type RouteSectionProps, revalidate } from "@solidjs/router"
import { HttpStatusCode } from "@solidjs/start"
import { createMemo, Match, Show, Switch } from "solid-js"
import ProgressBar from "../../../components/ProgressBar.tsx"
import ArticleLesson from "../../../components/player/ArticleLesson.tsx"
import Curriculum from "../../../components/player/Curriculum.tsx"
import EmbedLesson from "../../../components/player/EmbedLesson.tsx"
import QuizRunner from "../../../components/player/QuizRunner.tsx"
import VideoPlayer from "../../../components/player/VideoPlayer.tsx"
import { failureText, getPlayerPage, type LessonBody, lessonHref, type PlayerPage } from "../../../lib/learning.ts"
import type { Failure } from "../../../lib/outcome.ts"

export const route = {
  preload({ params }) {
    if (params.courseId && params.lessonId) void getPlayerPage(params.courseId, params.lessonId)
  }
} satisfies RouteDefinition

const KIND_NAMES: Readonly<Record<string, string>> = {
  video: "Video",
  embed: "Video",
  article: "Article",
  quiz: "Quiz"
}

function Body(props: { readonly page: PlayerPage }) {
  const body = (): LessonBody => props.page.body
  const refresh = () => revalidate(getPlayerPage.key)
  return (
    <Switch>
      <Match when={body().kind === "video" && (body() as Extract<LessonBody, { kind: "video" }>)}>
        {(video) => (
          <VideoPlayer
            lessonId={props.page.lesson.id}
            title={props.page.lesson.title}
            playback={video().playback}
            resumeAt={props.page.lesson.resumePositionSeconds}
            durationSeconds={props.page.lesson.durationSeconds}
            onProgress={(progress) => {
              // The tick and the course's percentage change when the lesson completes.
              if (progress.status === "completed" && props.page.lesson.status !== "completed") void refresh()
            }}
          />
        )}
      </Match>
      <Match when={body().kind === "article" && (body() as Extract<LessonBody, { kind: "article" }>)}>
        {(article) => (
          <ArticleLesson
            lessonId={props.page.lesson.id}
            html={article().html}
            completed={props.page.lesson.status === "completed"}
          />
        )}
      </Match>
      <Match when={body().kind === "embed" && (body() as Extract<LessonBody, { kind: "embed" }>)}>
        {(embed) => (
          <EmbedLesson
            lessonId={props.page.lesson.id}
            title={props.page.lesson.title}
            embedUrl={embed().embedUrl}
            provider={embed().provider}
            onProgress={(progress) => {
              if (progress.status === "completed" && props.page.lesson.status !== "completed") void refresh()
            }}
          />
        )}
      </Match>
      <Match when={body().kind === "quiz" && (body() as Extract<LessonBody, { kind: "quiz" }>)}>
        {(quiz) => (
          <QuizRunner quizId={quiz().quizId} attempts={quiz().attempts} open={quiz().open} onGraded={() => undefined} />
        )}
      </Match>
      <Match when={body().kind === "unavailable" && (body() as Extract<LessonBody, { kind: "unavailable" }>)}>
        {(unavailable) => (
          <p class="form-error" role="alert" data-testid="lesson-unavailable">
            {unavailable().message}
          </p>
        )}
      </Match>
    </Switch>
  )
}

function Player(props: { readonly page: PlayerPage }) {
  const page = () => props.page
  const lessonId = createMemo(() => page().lesson.id)
  return (
    <div class="player-page">
      <Title>{`${page().lesson.title} — ${page().title} — Lectern`}</Title>
      <div class="player-head">
        <p class="breadcrumb">
          <A href="/learn">My learning</A> › <A href={`/learn/${page().courseId}`}>{page().title}</A>
        </p>
        <ProgressBar percent={page().percent} label={`Progress in ${page().title}`} />
      </div>
      <div class="player-layout">
        <article class="lesson" aria-labelledby="lesson-title">
          <p class="lesson-kind">{KIND_NAMES[page().lesson.kind] ?? page().lesson.kind}</p>
          <h1 id="lesson-title" data-testid="lesson-title">
            {page().lesson.title}
          </h1>
          {/* Keyed on the lesson: another lesson gets a fresh player; a refreshed page keeps this one playing. */}
          <Show when={lessonId()} keyed>
            {(_id: string) => <Body page={page()} />}
          </Show>
          <nav class="lesson-nav" aria-label="Lessons">
            <Show when={page().previous} fallback={<span />}>
              {(previous) => (
                <A href={lessonHref(page().courseId, previous().id)} rel="prev">
                  ← Previous: {previous().title}
                </A>
              )}
            </Show>
            <Show
              when={page().next}
              fallback={
                <A href={`/learn/${page().courseId}`} data-testid="course-home">
                  Back to the course
                </A>
              }
            >
              {(next) => (
                <A href={lessonHref(page().courseId, next().id)} rel="next" data-testid="next-lesson">
                  Next: {next().title} →
                </A>
              )}
            </Show>
          </nav>
          <p>
            <A href={`/learn/${page().courseId}/assignments`}>Assignments for this course</A>
          </p>
        </article>
        <aside class="player-sidebar" aria-labelledby="sidebar-title">
          <h2 id="sidebar-title">Course content</h2>
          <Curriculum courseId={page().courseId} sections={page().sections} currentLessonId={page().lesson.id} />
        </aside>
      </div>
    </div>
  )
}

function Failed(props: { readonly failure: Failure; readonly courseId: string; readonly lessonId: string }) {
  const path = () => lessonHref(props.courseId, props.lessonId)
  return (
    <>
      <Show when={["CourseNotFound", "LessonNotFound", "InvalidInput"].includes(props.failure._tag)}>
        <HttpStatusCode code={404} />
      </Show>
      <Title>Lesson — Lectern</Title>
      <h1>This lesson cannot be opened</h1>
      <p class="form-error" role="alert">
        {failureText(props.failure)}
      </p>
      <p>
        <Switch fallback={<A href="/learn">Back to my learning</A>}>
          <Match when={props.failure._tag === "Unauthorized"}>
            <A href={`/login?next=${encodeURIComponent(path())}`}>Sign in</A>
          </Match>
          <Match when={props.failure._tag === "NotEnrolled"}>
            <A href="/courses">Find the course and enroll</A>
          </Match>
        </Switch>
      </p>
    </>
  )
}

export default function Lesson(props: RouteSectionProps) {
  const outcome = createAsync(() => getPlayerPage(props.params.courseId ?? "", props.params.lessonId ?? ""))
  const value = () => {
    const current = outcome()
    return current?.ok === true ? current.value : undefined
  }
  const failure = () => {
    const current = outcome()
    return current?.ok === false ? current.error : undefined
  }
  return (
    <Show when={outcome() !== undefined} fallback={<p class="loading">Loading the lesson…</p>}>
      <Show
        when={value()}
        fallback={
          <Show when={failure()}>
            {(shown) => (
              <Failed failure={shown()} courseId={props.params.courseId ?? ""} lessonId={props.params.lessonId ?? ""} />
            )}
          </Show>
        }
      >
        {(page) => <Player page={page()} />}
      </Show>
    </Show>
  )
}
