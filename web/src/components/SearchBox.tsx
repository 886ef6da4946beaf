// A course search input with type-ahead: the ARIA combobox pattern (a listbox of course titles, arrow keys, Enter, Escape).
import { useNavigate } from "@solidjs/router"
import { createSignal, For, onCleanup, Show } from "solid-js"
import { type Suggestion, suggestCourses } from "../lib/suggest.ts"
import "./SearchBox.css"

/** How long typing must pause before suggestions are asked for. */
const DEBOUNCE_MS = 200

export default function SearchBox(props: {
  readonly id: string
  readonly label: string
  readonly labelHidden?: boolean
  readonly value?: string | undefined
  readonly placeholder?: string
}) {
  const navigate = useNavigate()
  const listId = `${props.id}-suggestions`
  const optionId = (index: number) => `${props.id}-option-${index}`
  const [suggestions, setSuggestions] = createSignal<ReadonlyArray<Suggestion>>([])
  const [open, setOpen] = createSignal(false)
  const [active, setActive] = createSignal(-1)
  /** A request is on its way (only the latest counts). */
  const [searching, setSearching] = createSignal(false)
  /** What the status line says when the list is closed: nothing, no match, or that suggestions failed. */
  const [outcome, setOutcome] = createSignal<"" | "none" | "failed">("")
  let timer: ReturnType<typeof setTimeout> | undefined
  // Answers can arrive out of order; only the latest request's answer is shown.
  let asked = 0
  onCleanup(() => clearTimeout(timer))

  const close = () => {
    setOpen(false)
    setActive(-1)
  }

  const ask = (text: string) => {
    clearTimeout(timer)
    if (text.trim().length < 2) {
      asked++
      setSuggestions([])
      setSearching(false)
      setOutcome("")
      close()
      return
    }
    timer = setTimeout(async () => {
      const request = ++asked
      setSearching(true)
      const found = await suggestCourses(text).then(
        (suggested) => ({ suggested, failed: false }),
        () => ({ suggested: [], failed: true })
      )
      if (request !== asked) return
      setSearching(false)
      setSuggestions(found.suggested)
      setActive(-1)
      setOpen(found.suggested.length > 0)
      setOutcome(found.failed ? "failed" : found.suggested.length === 0 ? "none" : "")
    }, DEBOUNCE_MS)
  }

  const choose = (suggestion: Suggestion) => {
    close()
    navigate(`/courses/${encodeURIComponent(suggestion.slug)}`)
  }

  const onKeyDown = (event: KeyboardEvent) => {
    const count = suggestions().length
    switch (event.key) {
      case "ArrowDown":
        if (count === 0) return
        event.preventDefault()
        setOpen(true)
        setActive((index) => (index + 1) % count)
        return
      case "ArrowUp":
        if (count === 0) return
        event.preventDefault()
        setOpen(true)
        setActive((index) => (index <= 0 ? count - 1 : index - 1))
        return
      case "Enter": {
        const chosen = open() ? suggestions()[active()] : undefined
        // With no suggestion chosen, Enter submits the form: a full search.
        if (chosen === undefined) return
        event.preventDefault()
        choose(chosen)
        return
      }
      case "Escape":
        if (!open()) return
        event.preventDefault()
        close()
        return
    }
  }

  return (
    <div class="search-box">
      <label for={props.id} classList={{ "visually-hidden": props.labelHidden === true }}>
        {props.label}
      </label>
      <input
        id={props.id}
        name="q"
        type="search"
        autocomplete="off"
        role="combobox"
        aria-autocomplete="list"
        aria-controls={listId}
        aria-expanded={open() ? "true" : "false"}
        aria-activedescendant={open() && active() >= 0 ? optionId(active()) : undefined}
        placeholder={props.placeholder}
        value={props.value ?? ""}
        aria-busy={searching() ? "true" : "false"}
        onInput={(event) => ask(event.currentTarget.value)}
        onKeyDown={onKeyDown}
        onBlur={close}
      />
      <div id={listId} role="listbox" aria-label="Suggested courses" hidden={!open()}>
        <Show when={open()}>
          <For each={suggestions()}>
            {(suggestion, index) => (
              // biome-ignore lint/a11y/useKeyWithClickEvents: the keys act on the combobox input (aria-activedescendant), which keeps the focus
              <div
                id={optionId(index())}
                role="option"
                tabIndex={-1}
                aria-selected={active() === index() ? "true" : "false"}
                // Pressing the mouse would blur the input (closing the list) before the click lands.
                onMouseDown={(event) => event.preventDefault()}
                onClick={() => choose(suggestion)}
                onMouseEnter={() => setActive(index())}
              >
                {suggestion.title}
              </div>
            )}
          </For>
        </Show>
      </div>
      <Show when={searching()}>
        <span class="search-box-busy" aria-hidden="true">
          Searching…
        </span>
      </Show>
      <p class="visually-hidden" role="status">
        {searching()
          ? "Searching…"
          : open()
            ? `${suggestions().length} suggested ${suggestions().length === 1 ? "course" : "courses"}`
            : outcome() === "none"
              ? "No suggested courses"
              : outcome() === "failed"
                ? "Suggestions are not available right now"
                : ""}
      </p>
    </div>
  )
}
