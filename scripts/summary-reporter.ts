// A vitest reporter that ends the run with one plain line, "N passed, N failed, N skipped", for CI to read.
import type { Reporter, RunnerTask, RunnerTestFile } from "vitest/node"

const count = (tasks: ReadonlyArray<RunnerTask>, totals: { passed: number; failed: number; skipped: number }) => {
  for (const task of tasks) {
    if (task.type === "suite") count(task.tasks, totals)
    else if (task.mode === "skip" || task.mode === "todo") totals.skipped++
    else if (task.result?.state === "pass") totals.passed++
    else if (task.result?.state === "fail") totals.failed++
    else totals.skipped++
  }
}

export default class SummaryReporter implements Reporter {
  onFinished(files: ReadonlyArray<RunnerTestFile> = [], errors: ReadonlyArray<unknown> = []) {
    const totals = { passed: 0, failed: 0, skipped: 0 }
    count(files, totals)
    // A file that failed to load (or an unhandled error) is a failure even if no test inside it ran.
    const failedFiles = files.filter((file) => file.result?.state === "fail" && file.tasks.length === 0).length
    const failed = totals.failed + failedFiles + errors.length
    process.stdout.write(`\ntests: ${totals.passed} passed, ${failed} failed, ${totals.skipped} skipped\n`)
  }
}
