// A course in a list: its picture, title linking to its page, subtitle, level, length, rating, learners and price.
import { A } from "@solidjs/router"
import { Show } from "solid-js"
import type { CourseCard as Card } from "../lib/catalog.ts"
import { formatDuration, formatLevel, formatPrice, plural } from "../lib/format.ts"
import CourseImage from "./CourseImage.tsx"

export default function CourseCard(props: { readonly course: Card; readonly headingLevel?: 2 | 3 }) {
  const title = () => <A href={`/courses/${props.course.slug}`}>{props.course.title}</A>
  return (
    <article class="course-card" data-testid="course-card">
      <CourseImage thumbnail={props.course.thumbnail} title={props.course.title} size="small" lazy />
      {props.headingLevel === 2 ? <h2>{title()}</h2> : <h3>{title()}</h3>}
      <Show when={props.course.subtitle}>{(subtitle) => <p class="subtitle">{subtitle()}</p>}</Show>
      <ul class="facts">
        <li>{formatLevel(props.course.level)}</li>
        <li>
          {plural(props.course.lessonCount, "lesson")} · {formatDuration(props.course.durationSeconds)}
        </li>
        <li>
          <Show when={props.course.ratingAverage !== null} fallback="No ratings yet">
            {props.course.ratingAverage?.toFixed(1)} ★ ({plural(props.course.ratingCount, "rating")})
          </Show>
        </li>
        <li>{plural(props.course.enrollmentCount, "learner")}</li>
      </ul>
      <p class="price">{formatPrice(props.course.price)}</p>
    </article>
  )
}
