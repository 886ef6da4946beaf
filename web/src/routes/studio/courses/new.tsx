// A new course: its details; the curriculum follows on the course's editor page.
import { Title } from "@solidjs/meta"
import { A, createAsync, type RouteDefinition } from "@solidjs/router"
import Loaded from "../../../components/Loaded.tsx"
import CourseForm from "../../../components/studio/CourseForm.tsx"
import Refused from "../../../components/studio/Refused.tsx"
import { createCourse, getNewCourseForm } from "../../../lib/studio.ts"

export const route = {
  preload() {
    void getNewCourseForm()
  }
} satisfies RouteDefinition

export default function NewCourse() {
  const categories = createAsync(() => getNewCourseForm())
  return (
    <>
      <Title>New course — Studio — Lectern</Title>
      <nav aria-label="Breadcrumb" class="breadcrumb">
        <A href="/studio">Studio</A> › New course
      </nav>
      <Loaded outcome={categories()} loading="Loading…" failed={(failure) => <Refused failure={failure} />}>
        {(list) => (
          <>
            <h1>New course</h1>
            <CourseForm action={createCourse} categories={list} submitLabel="Create course" />
          </>
        )}
      </Loaded>
    </>
  )
}
