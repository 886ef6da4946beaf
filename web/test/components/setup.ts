// Setup of the component tests: each test starts on an empty document (this project has no Vitest globals, so
// @solidjs/testing-library cannot register its own cleanup).
import { cleanup } from "@solidjs/testing-library"
import { afterEach } from "vitest"

afterEach(cleanup)
