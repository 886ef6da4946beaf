// A grid of course cards, or a line saying there are none.
import { For, Show } from "solid-js"
import type { CourseCard as Card } from "../lib/catalog.ts"
import CourseCard from "./CourseCard.tsx"

export default function CourseList(props: {
  readonly courses: ReadonlyArray<Card>
  readonly empty: string
  readonly label?: string
  readonly headingLevel?: 2 | 3
}) {
  return (
    <Show when={props.courses.length > 0} fallback={<p class="empty">{props.empty}</p>}>
      <ul class="course-grid" aria-label={props.label}>
        <For each={props.courses}>
          {(course) => (
            <li>
              <CourseCard course={course} headingLevel={props.headingLevel ?? 3} />
            </li>
          )}
        </For>
      </ul>
    </Show>
  )
}
