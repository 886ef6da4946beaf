// The studio's CurriculumEditor in jsdom: reordering sections and lessons with the keyboard (the move buttons, Enter or
// Space), what is saved (curriculum.reorder's payload), the announcement, where the focus goes, a refused move undone;
// and one drag and drop. The studio's server functions are mocked at their module (web/src/lib/studio.ts).
import { json } from "@solidjs/router"
import { fireEvent, screen, within } from "@solidjs/testing-library"
import userEvent from "@testing-library/user-event"
import { beforeEach, describe, expect, it, vi } from "vitest"
import CurriculumEditor from "../../src/components/studio/CurriculumEditor.tsx"
import type { CourseDetailView, LessonView, ReorderPayload, SectionView } from "../../src/lib/studio.ts"
import { renderRouted } from "./routed.tsx"

type Saved = { readonly saved: true } | { readonly tag: string; readonly message: string; readonly field?: string }

const reorder = vi.hoisted(() => vi.fn<(payload: ReorderPayload) => Promise<Saved>>())

vi.mock("../../src/lib/studio.ts", async (importOriginal) => {
  const { action } = await import("@solidjs/router")
  const original = await importOriginal<typeof import("../../src/lib/studio.ts")>()
  return {
    ...original,
    // As the real action answers: the result, and nothing to revalidate.
    reorderCurriculum: action(
      async (payload: ReorderPayload) => json(await reorder(payload), { revalidate: "nothing" }),
      "reorderCurriculum"
    )
  }
})

const COURSE_ID = "course-1"

const lesson = (sectionId: string, id: string, title: string, position: number): LessonView => ({
  id,
  courseId: COURSE_ID,
  sectionId,
  title,
  kind: "article",
  position,
  isPreview: false,
  durationSeconds: 0,
  content: { kind: "article", markdown: `# ${title}` }
})

const section = (id: string, title: string, position: number, lessons: ReadonlyArray<[string, string]>) => ({
  id,
  courseId: COURSE_ID,
  title,
  position,
  lessons: lessons.map(([lessonId, lessonTitle], index) => lesson(id, lessonId, lessonTitle, index))
})

const curriculum: ReadonlyArray<SectionView> = [
  section("s-basics", "Basics", 0, [
    ["l-intro", "Intro"],
    ["l-setup", "Setup"]
  ]),
  section("s-effects", "Effects", 1, [["l-pipe", "Pipe"]]),
  section("s-streams", "Streams", 2, [])
]

/** The editor reads the course's id and its sections only; the rest of the course does not matter here. */
const detailOf = (sections: ReadonlyArray<SectionView>) =>
  ({
    course: { id: COURSE_ID },
    creator: { id: "u-1", name: "Ada" },
    sections,
    canEdit: true
  }) as unknown as CourseDetailView

const setup = (options: { readonly locked?: boolean; readonly sections?: ReadonlyArray<SectionView> } = {}) => {
  const user = userEvent.setup()
  const view = renderRouted(() => (
    <CurriculumEditor detail={detailOf(options.sections ?? curriculum)} locked={options.locked ?? false} />
  ))
  return { ...view, user }
}

/** The curriculum as shown: each section's title input value and its lessons' titles, in order. */
const shown = () =>
  screen.getAllByTestId("section").map((item) => [
    (within(item).getByRole("textbox", { name: /^Section \d+ title$/ }) as HTMLInputElement).value,
    within(item)
      .queryAllByTestId("lesson-row")
      .map((row) => within(row).getByRole("link").textContent)
  ])

const button = (name: string) => screen.getByRole("button", { name }) as HTMLButtonElement
const status = () => screen.getByTestId("reorder-status").textContent

beforeEach(() => {
  reorder.mockReset()
  reorder.mockResolvedValue({ saved: true })
})

describe("CurriculumEditor", () => {
  it("shows sections and lessons in order, each with named move buttons, disabled where there is nowhere to go", async () => {
    setup()
    await screen.findByRole("heading", { name: "Curriculum" })
    expect(shown()).toEqual([
      ["Basics", ["Intro", "Setup"]],
      ["Effects", ["Pipe"]],
      ["Streams", []]
    ])
    expect(button("Move section “Basics” up").disabled).toBe(true)
    expect(button("Move section “Basics” down").disabled).toBe(false)
    expect(button("Move section “Streams” down").disabled).toBe(true)
    expect(button("Move lesson “Intro” up").disabled).toBe(true)
    expect(button("Move lesson “Intro” down").disabled).toBe(false)
    // The last lesson of a section can still go down, into the next section (even an empty one).
    expect(button("Move lesson “Setup” down").disabled).toBe(false)
    expect(button("Move lesson “Pipe” down").disabled).toBe(false)
    expect(screen.getByText("3 sections · 3 lessons")).toBeTruthy()
  })

  it("the first lesson of the first section cannot go up, nor the last of the last section down", async () => {
    setup({
      sections: [
        section("s-only", "Only", 0, [
          ["l-a", "A"],
          ["l-b", "B"]
        ])
      ]
    })
    await screen.findByRole("heading", { name: "Curriculum" })
    expect(button("Move section “Only” up").disabled).toBe(true)
    expect(button("Move section “Only” down").disabled).toBe(true)
    expect(button("Move lesson “A” up").disabled).toBe(true)
    expect(button("Move lesson “A” down").disabled).toBe(false)
    expect(button("Move lesson “B” up").disabled).toBe(false)
    expect(button("Move lesson “B” down").disabled).toBe(true)
  })

  it("a lesson moves down into an empty section", async () => {
    const { user } = setup()
    ;(await screen.findByRole("button", { name: "Move lesson “Pipe” down" })).focus()
    await user.keyboard("{Enter}")
    expect(shown()).toEqual([
      ["Basics", ["Intro", "Setup"]],
      ["Effects", []],
      ["Streams", ["Pipe"]]
    ])
    await vi.waitFor(() => expect(status()).toBe("Lesson “Pipe” moved to section “Streams”."))
    // Now the very last lesson: down is disabled, the focus is on up.
    expect(button("Move lesson “Pipe” down").disabled).toBe(true)
    expect(document.activeElement).toBe(button("Move lesson “Pipe” up"))
  })

  it("Enter on a lesson's move-down button moves it, saves the new order, announces it and keeps the focus on it", async () => {
    const { user } = setup()
    const down = await screen.findByRole("button", { name: "Move lesson “Intro” down" })
    down.focus()
    await user.keyboard("{Enter}")
    expect(shown()[0]).toEqual(["Basics", ["Setup", "Intro"]])
    expect(reorder).toHaveBeenCalledTimes(1)
    expect(reorder).toHaveBeenCalledWith({
      courseId: COURSE_ID,
      sections: [
        { id: "s-basics", lessonIds: ["l-setup", "l-intro"] },
        { id: "s-effects", lessonIds: ["l-pipe"] },
        { id: "s-streams", lessonIds: [] }
      ]
    })
    await vi.waitFor(() => expect(status()).toBe("Lesson “Intro” moved to position 2 in “Basics”."))
    expect(document.activeElement).toBe(button("Move lesson “Intro” down"))
    expect(screen.queryByRole("alert")).toBeNull()
  })

  it("Space moves too; past its section's end a lesson goes to the next section's top, and back up again", async () => {
    const { user } = setup()
    ;(await screen.findByRole("button", { name: "Move lesson “Setup” down" })).focus()
    await user.keyboard(" ")
    expect(shown()).toEqual([
      ["Basics", ["Intro"]],
      ["Effects", ["Setup", "Pipe"]],
      ["Streams", []]
    ])
    await vi.waitFor(() => expect(status()).toBe("Lesson “Setup” moved to section “Effects”."))
    expect(document.activeElement).toBe(button("Move lesson “Setup” down"))

    button("Move lesson “Setup” up").focus()
    await user.keyboard("{Enter}")
    expect(shown()[0]).toEqual(["Basics", ["Intro", "Setup"]])
    await vi.waitFor(() => expect(status()).toBe("Lesson “Setup” moved to section “Basics”."))
    expect(reorder.mock.calls.map(([payload]) => payload.sections.map((s) => s.lessonIds))).toEqual([
      [["l-intro"], ["l-setup", "l-pipe"], []],
      [["l-intro", "l-setup"], ["l-pipe"], []]
    ])
  })

  it("at the top the focus goes to the other direction's button, as the one pressed is disabled", async () => {
    const { user } = setup()
    ;(await screen.findByRole("button", { name: "Move lesson “Setup” up" })).focus()
    await user.keyboard("{Enter}")
    expect(shown()[0]).toEqual(["Basics", ["Setup", "Intro"]])
    expect(button("Move lesson “Setup” up").disabled).toBe(true)
    expect(document.activeElement).toBe(button("Move lesson “Setup” down"))
  })

  it("moves a section with the keyboard, saving every section's lessons in the new order", async () => {
    const { user } = setup()
    ;(await screen.findByRole("button", { name: "Move section “Effects” down" })).focus()
    await user.keyboard("{Enter}")
    expect(shown().map(([title]) => title)).toEqual(["Basics", "Streams", "Effects"])
    expect(reorder).toHaveBeenCalledWith({
      courseId: COURSE_ID,
      sections: [
        { id: "s-basics", lessonIds: ["l-intro", "l-setup"] },
        { id: "s-streams", lessonIds: [] },
        { id: "s-effects", lessonIds: ["l-pipe"] }
      ]
    })
    await vi.waitFor(() => expect(status()).toBe("Section “Effects” moved to position 3."))
    // Now last: its down button is disabled, so the focus is on its up button.
    expect(button("Move section “Effects” down").disabled).toBe(true)
    expect(document.activeElement).toBe(button("Move section “Effects” up"))
  })

  it("puts a refused move back and says why", async () => {
    reorder.mockResolvedValue({ tag: "CourseLocked", message: "The course is in review and cannot change." })
    const { user } = setup()
    ;(await screen.findByRole("button", { name: "Move section “Basics” down" })).focus()
    await user.keyboard("{Enter}")
    await vi.waitFor(() =>
      expect(screen.getByRole("alert").textContent).toBe("The course is in review and cannot change.")
    )
    expect(shown().map(([title]) => title)).toEqual(["Basics", "Effects", "Streams"])
    expect(status()).toBe("Not moved: The course is in review and cannot change.")
  })

  it("a locked course offers no moves", async () => {
    setup({ locked: true })
    await screen.findByRole("heading", { name: "Curriculum" })
    const moves = screen.getAllByRole("button", { name: /^Move / })
    expect(moves).toHaveLength(3 * 2 + 3 * 2)
    for (const move of moves) expect((move as HTMLButtonElement).disabled).toBe(true)
    for (const row of screen.getAllByTestId("lesson-row")) expect(row.getAttribute("draggable")).toBe("false")
  })

  it("without sections, says so", async () => {
    setup({ sections: [] })
    expect(await screen.findByText("No sections yet. Add the first one below.")).toBeTruthy()
    expect(screen.queryByTestId("curriculum-editor")).toBeNull()
  })

  it("drops a dragged lesson before another lesson of another section", async () => {
    setup()
    await screen.findByRole("heading", { name: "Curriculum" })
    const rows = () => screen.getAllByTestId("lesson-row")
    const intro = rows().find((row) => row.textContent?.includes("Intro"))!
    const pipe = rows().find((row) => row.textContent?.includes("Pipe"))!
    fireEvent.dragStart(intro)
    fireEvent.dragOver(pipe)
    expect(pipe.classList.contains("drop-target")).toBe(true)
    fireEvent.drop(pipe)
    expect(shown()).toEqual([
      ["Basics", ["Setup"]],
      ["Effects", ["Intro", "Pipe"]],
      ["Streams", []]
    ])
    expect(screen.getAllByTestId("lesson-row").some((row) => row.classList.contains("drop-target"))).toBe(false)
    await vi.waitFor(() => expect(status()).toBe("Lesson “Intro” moved to “Effects”."))
  })
})
