// Setup of the component tests: each test starts on an empty document (this project has no Vitest globals, so
// @solidjs/testing-library cannot register its own cleanup), and the router may scroll after navigating (jsdom has no
// scrolling: its window.scrollTo only reports "not implemented").
import { cleanup } from "@solidjs/testing-library"
import { afterEach } from "vitest"

afterEach(cleanup)

window.scrollTo = () => {}
