// ProgressBar in jsdom: the <progress> is named by its label and carries the clamped, rounded percentage.
import { render, screen } from "@solidjs/testing-library"
import { createSignal } from "solid-js"
import { describe, expect, it } from "vitest"
import ProgressBar from "../../src/components/ProgressBar.tsx"

describe("ProgressBar", () => {
  it("is a progressbar named by its label, with its value and the percentage as text", () => {
    render(() => <ProgressBar percent={42.4} label="Course progress" />)
    const bar = screen.getByRole("progressbar", { name: "Course progress" })
    expect(bar.getAttribute("max")).toBe("100")
    expect((bar as HTMLProgressElement).value).toBe(42)
    expect(screen.getByText("42% complete")).toBeTruthy()
  })

  it("clamps to 0–100 and follows the percent as it changes", () => {
    const [percent, setPercent] = createSignal(-5)
    render(() => <ProgressBar percent={percent()} label="Progress" />)
    const bar = screen.getByRole("progressbar", { name: "Progress" }) as HTMLProgressElement
    expect(bar.value).toBe(0)
    expect(screen.getByText("0% complete")).toBeTruthy()
    setPercent(99.6)
    expect(bar.value).toBe(100)
    expect(screen.getByText("100% complete")).toBeTruthy()
    setPercent(250)
    expect(bar.value).toBe(100)
    expect(screen.getByText("100% complete")).toBeTruthy()
  })
})
