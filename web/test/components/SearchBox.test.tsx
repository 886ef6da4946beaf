// SearchBox in jsdom: the ARIA combobox (roles, aria-expanded, aria-activedescendant), debounced suggestions from
// suggestCourses (mocked at its module: the real one is a server function), the keys and choosing a course.
import { fireEvent, screen } from "@solidjs/testing-library"
import userEvent from "@testing-library/user-event"
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest"
import SearchBox from "../../src/components/SearchBox.tsx"
import { type Suggestion, suggestCourses } from "../../src/lib/suggest.ts"
import { renderRouted } from "./routed.tsx"

vi.mock("../../src/lib/suggest.ts", () => ({ suggestCourses: vi.fn() }))
const suggest = vi.mocked(suggestCourses)

const effect: Suggestion = { slug: "effect-basics", title: "Effect basics" }
const streams: Suggestion = { slug: "effect-streams", title: "Effect streams" }
const schema: Suggestion = { slug: "schema & more", title: "Effect Schema & more" }

/** A suggestCourses answer the test settles when it wants. */
const deferred = () => {
  let settle!: { resolve: (found: ReadonlyArray<Suggestion>) => void; reject: (error: unknown) => void }
  const promise = new Promise<ReadonlyArray<Suggestion>>((resolve, reject) => {
    settle = { resolve, reject }
  })
  return { promise, ...settle }
}

/** Runs what is due now: settled promises and zero-delay timers (the clock is fake). */
const flush = () => vi.advanceTimersByTimeAsync(0)

const setup = (value?: string) => {
  const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime })
  const view = renderRouted(() => <SearchBox id="search" label="Search courses" value={value} />)
  const input = screen.getByRole("combobox", { name: "Search courses" }) as HTMLInputElement
  return { ...view, user, input }
}

/** Types `text` and lets the debounce pass, with suggestCourses answering `found`. */
const typeAndWait = async (
  user: ReturnType<typeof userEvent.setup>,
  input: HTMLInputElement,
  text: string,
  found: ReadonlyArray<Suggestion>
) => {
  suggest.mockResolvedValue(found)
  await user.type(input, text)
  await vi.advanceTimersByTimeAsync(200)
}

const optionNames = () => screen.queryAllByRole("option").map((option) => option.textContent)

beforeEach(() => {
  vi.useFakeTimers()
  suggest.mockReset()
})
afterEach(() => {
  vi.useRealTimers()
})

describe("SearchBox", () => {
  it("is a labelled combobox controlling a collapsed, hidden listbox of suggested courses", () => {
    const { input } = setup("effect")
    expect(input.value).toBe("effect")
    expect(input.name).toBe("q")
    expect(input.getAttribute("aria-autocomplete")).toBe("list")
    expect(input.getAttribute("aria-expanded")).toBe("false")
    expect(input.hasAttribute("aria-activedescendant")).toBe(false)
    expect(screen.queryByRole("listbox")).toBeNull()
    const listbox = screen.getByRole("listbox", { hidden: true })
    expect(listbox.getAttribute("aria-label")).toBe("Suggested courses")
    expect(input.getAttribute("aria-controls")).toBe(listbox.id)
    expect(listbox.hidden).toBe(true)
    expect(screen.getByRole("status").textContent).toBe("")
  })

  it("asks once, 200 ms after typing pauses, and opens the list with the answer", async () => {
    const { user, input } = setup()
    suggest.mockResolvedValue([effect, streams])
    await user.type(input, "eff")
    await vi.advanceTimersByTimeAsync(199)
    expect(suggest).not.toHaveBeenCalled()
    await user.type(input, "e")
    await vi.advanceTimersByTimeAsync(199)
    expect(suggest).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1)
    expect(suggest).toHaveBeenCalledTimes(1)
    expect(suggest).toHaveBeenCalledWith("effe")

    expect(input.getAttribute("aria-expanded")).toBe("true")
    const listbox = screen.getByRole("listbox", { name: "Suggested courses" })
    expect(listbox.hidden).toBe(false)
    expect(optionNames()).toEqual(["Effect basics", "Effect streams"])
    for (const option of screen.getAllByRole("option")) expect(option.getAttribute("aria-selected")).toBe("false")
    expect(input.hasAttribute("aria-activedescendant")).toBe(false)
    expect(screen.getByRole("status").textContent).toBe("2 suggested courses")
  })

  it("stays collapsed while the answer is on its way, saying it is searching, then opens", async () => {
    const { user, input } = setup()
    const answer = deferred()
    suggest.mockReturnValue(answer.promise)
    expect(input.getAttribute("aria-busy")).toBe("false")
    await user.type(input, "effect")
    await vi.advanceTimersByTimeAsync(200)
    expect(suggest).toHaveBeenCalledWith("effect")
    expect(input.getAttribute("aria-expanded")).toBe("false")
    expect(screen.queryAllByRole("option")).toHaveLength(0)
    expect(input.getAttribute("aria-busy")).toBe("true")
    expect(screen.getByRole("status").textContent).toBe("Searching…")
    expect(screen.getByText("Searching…", { selector: ".search-box-busy" })).toBeTruthy()

    answer.resolve([effect])
    await flush()
    expect(input.getAttribute("aria-busy")).toBe("false")
    expect(screen.queryByText("Searching…", { selector: ".search-box-busy" })).toBeNull()
    expect(input.getAttribute("aria-expanded")).toBe("true")
    expect(optionNames()).toEqual(["Effect basics"])
    expect(screen.getByRole("status").textContent).toBe("1 suggested course")
  })

  it("does not ask for fewer than two characters, and closes when the text gets that short", async () => {
    const { user, input } = setup()
    await typeAndWait(user, input, " e ", [effect])
    await vi.advanceTimersByTimeAsync(1000)
    expect(suggest).not.toHaveBeenCalled()
    expect(input.getAttribute("aria-expanded")).toBe("false")

    await user.clear(input)
    await typeAndWait(user, input, "ef", [effect])
    expect(input.getAttribute("aria-expanded")).toBe("true")
    await user.type(input, "{Backspace}")
    expect(input.getAttribute("aria-expanded")).toBe("false")
    expect(screen.queryAllByRole("option")).toHaveLength(0)
    // No suggestions are left for the arrow keys either.
    await user.keyboard("{ArrowDown}")
    expect(input.getAttribute("aria-expanded")).toBe("false")
    expect(input.hasAttribute("aria-activedescendant")).toBe(false)
    expect(suggest).toHaveBeenCalledTimes(1)
  })

  it("stays collapsed when nothing matches or the search fails, and says which", async () => {
    const { user, input } = setup()
    await typeAndWait(user, input, "zzz", [])
    expect(suggest).toHaveBeenCalledWith("zzz")
    expect(input.getAttribute("aria-expanded")).toBe("false")
    expect(screen.getByRole("status").textContent).toBe("No suggested courses")

    suggest.mockRejectedValue(new Error("catalog is down"))
    await user.type(input, "z")
    await vi.advanceTimersByTimeAsync(200)
    expect(suggest).toHaveBeenLastCalledWith("zzzz")
    expect(input.getAttribute("aria-expanded")).toBe("false")
    expect(input.getAttribute("aria-busy")).toBe("false")
    expect(screen.queryAllByRole("option")).toHaveLength(0)
    expect(screen.getByRole("status").textContent).toBe("Suggestions are not available right now")
    // Cut below two characters: nothing to say.
    await user.clear(input)
    expect(screen.getByRole("status").textContent).toBe("")
  })

  it("shows only the latest request's answer when answers arrive out of order", async () => {
    const { user, input } = setup()
    const first = deferred()
    const second = deferred()
    suggest.mockReturnValueOnce(first.promise).mockReturnValueOnce(second.promise)
    await user.type(input, "ef")
    await vi.advanceTimersByTimeAsync(200)
    await user.type(input, "fect")
    await vi.advanceTimersByTimeAsync(200)
    expect(suggest.mock.calls).toEqual([["ef"], ["effect"]])

    second.resolve([streams])
    await flush()
    first.resolve([effect, schema])
    await flush()
    expect(optionNames()).toEqual(["Effect streams"])
  })

  it("moves the active option with ArrowDown/ArrowUp (wrapping), shown by aria-activedescendant and aria-selected", async () => {
    const { user, input } = setup()
    await typeAndWait(user, input, "effect", [effect, streams, schema])
    const [first, second, third] = screen.getAllByRole("option")
    const selected = () =>
      screen
        .getAllByRole("option")
        .filter((option) => option.getAttribute("aria-selected") === "true")
        .map((option) => option.textContent)

    await user.keyboard("{ArrowDown}")
    expect(input.getAttribute("aria-activedescendant")).toBe(first?.id)
    expect(selected()).toEqual(["Effect basics"])
    await user.keyboard("{ArrowDown}")
    expect(input.getAttribute("aria-activedescendant")).toBe(second?.id)
    expect(selected()).toEqual(["Effect streams"])
    await user.keyboard("{ArrowDown}{ArrowDown}")
    expect(input.getAttribute("aria-activedescendant")).toBe(first?.id)
    await user.keyboard("{ArrowUp}")
    expect(input.getAttribute("aria-activedescendant")).toBe(third?.id)
    expect(selected()).toEqual(["Effect Schema & more"])
    expect(new Set([first?.id, second?.id, third?.id]).size).toBe(3)
    // The option ids exist in the document, so assistive technology can follow the active descendant.
    expect(document.getElementById(input.getAttribute("aria-activedescendant")!)?.textContent).toBe(
      "Effect Schema & more"
    )
    expect(document.activeElement).toBe(input)
  })

  it("Escape closes the list (the text stays); ArrowDown opens it again at the first option", async () => {
    const { user, input } = setup()
    await typeAndWait(user, input, "effect", [effect, streams])
    await user.keyboard("{ArrowDown}{ArrowDown}")
    expect(fireEvent.keyDown(input, { key: "Escape" })).toBe(false)
    expect(input.getAttribute("aria-expanded")).toBe("false")
    expect(input.hasAttribute("aria-activedescendant")).toBe(false)
    expect(screen.getByRole("listbox", { hidden: true }).hidden).toBe(true)
    expect(input.value).toBe("effect")
    // A second Escape is left to the page (the browser clears a search field).
    expect(fireEvent.keyDown(input, { key: "Escape" })).toBe(true)

    await user.keyboard("{ArrowDown}")
    expect(input.getAttribute("aria-expanded")).toBe("true")
    expect(input.getAttribute("aria-activedescendant")).toBe(screen.getAllByRole("option")[0]?.id)
  })

  it("Enter on the active option opens that course's page", async () => {
    const { user, input, history } = setup()
    await typeAndWait(user, input, "schema", [effect, schema])
    await user.keyboard("{ArrowDown}{ArrowDown}")
    expect(fireEvent.keyDown(input, { key: "Enter" })).toBe(false)
    await flush()
    expect(history.get()).toBe("/courses/schema%20%26%20more")
    expect(screen.getByText("Page /courses/schema%20%26%20more")).toBeTruthy()
    expect(screen.queryByRole("combobox")).toBeNull()
  })

  it("Enter without an active option is left to the form (a full search)", async () => {
    const { user, input, history } = setup()
    await typeAndWait(user, input, "effect", [effect])
    expect(input.getAttribute("aria-expanded")).toBe("true")
    expect(fireEvent.keyDown(input, { key: "Enter" })).toBe(true)
    // Nor after Escape, even with an option active before.
    await user.keyboard("{ArrowDown}{Escape}")
    expect(fireEvent.keyDown(input, { key: "Enter" })).toBe(true)
    await flush()
    expect(history.get()).toBe("/")
  })

  it("a click on an option opens its course, and pressing the mouse does not take the focus from the input", async () => {
    const { user, input, history } = setup()
    await typeAndWait(user, input, "effect", [effect, streams])
    const option = screen.getByRole("option", { name: "Effect streams" })
    await user.hover(option)
    expect(input.getAttribute("aria-activedescendant")).toBe(option.id)
    expect(fireEvent.mouseDown(option)).toBe(false)
    await user.click(option)
    await flush()
    expect(history.get()).toBe("/courses/effect-streams")
    expect(screen.getByText("Page /courses/effect-streams")).toBeTruthy()
  })

  it("closes when the input loses the focus", async () => {
    const { user, input } = setup()
    await typeAndWait(user, input, "effect", [effect])
    expect(input.getAttribute("aria-expanded")).toBe("true")
    await user.tab()
    expect(document.activeElement).not.toBe(input)
    expect(input.getAttribute("aria-expanded")).toBe("false")
  })

  it("asks nothing after it is gone", async () => {
    const { user, input, unmount } = setup()
    suggest.mockResolvedValue([effect])
    await user.type(input, "effect")
    unmount()
    await vi.advanceTimersByTimeAsync(1000)
    expect(suggest).not.toHaveBeenCalled()
  })
})
