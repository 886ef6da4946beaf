// OpenFiles: the HLS server's held-open immutable files — least recently used out, closed only once no read uses
// them, failed opens not kept, idle files closed.
import { describe, expect, it } from "@effect/vitest"
import type { OpenBlobFile } from "@lectern/platform/BlobStore"
import { OpenFiles } from "../src/HlsServer.ts"

/** A fake open file over `bytes` that records its closes; reads wait for `gate` when given. */
const fakeFile = (key: string, bytes: Uint8Array, log: Array<string>, gate?: Promise<void>): OpenBlobFile => ({
  info: { key, size: bytes.length, etag: key, contentType: "video/mp2t", lastModified: new Date(0) },
  read: async (into, position, length) => {
    await gate
    const part = bytes.subarray(position, position + length)
    into.set(part)
    return part.length
  },
  close: async () => {
    log.push(`close ${key}`)
  }
})

const settle = () => new Promise((resolve) => setTimeout(resolve, 0))

describe("OpenFiles", () => {
  it("opens each key once, reads it again without opening, and closes the least recently used past the limit", async () => {
    const log: Array<string> = []
    const files = new OpenFiles(2, 60_000)
    const open = (key: string) => () => {
      log.push(`open ${key}`)
      return Promise.resolve(fakeFile(key, new TextEncoder().encode(`bytes of ${key}`), log))
    }
    const into = new Uint8Array(64)
    const first = await files.read("a", open("a"), into)
    expect(new TextDecoder().decode(first.bytes)).toBe("bytes of a")
    await files.read("a", open("a"), into)
    await files.read("b", open("b"), into)
    await files.read("a", open("a"), into)
    await files.read("c", open("c"), into)
    await settle()
    // "b" was the least recently used when "c" came.
    expect(log).toEqual(["open a", "open b", "open c", "close b"])
    expect(files.size).toBe(2)
  })

  it("closes an evicted file only after the read using it is done", async () => {
    const log: Array<string> = []
    const files = new OpenFiles(1, 60_000)
    let release = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const slow = files.read("slow", async () => fakeFile("slow", new Uint8Array(8), log, gate), new Uint8Array(8))
    await settle()
    await files.read("next", async () => fakeFile("next", new Uint8Array(8), log), new Uint8Array(8))
    await settle()
    expect(log).toEqual([])
    release()
    expect((await slow).bytes?.length).toBe(8)
    await settle()
    expect(log).toEqual(["close slow"])
  })

  it("does not keep a failed open, and says when a file is larger than the buffer", async () => {
    const files = new OpenFiles(4, 60_000)
    await expect(
      files.read("gone", () => Promise.reject(new Error("no such file")), new Uint8Array(8))
    ).rejects.toThrow("no such file")
    await settle()
    expect(files.size).toBe(0)
    const big = await files.read("big", async () => fakeFile("big", new Uint8Array(100), []), new Uint8Array(10))
    expect(big.bytes).toBeUndefined()
    expect(big.info.size).toBe(100)
  })

  it("closes files idle for longer than idleMs on a later read", async () => {
    const log: Array<string> = []
    const files = new OpenFiles(10, 60)
    await files.read("old", async () => fakeFile("old", new Uint8Array(4), log), new Uint8Array(8))
    await new Promise((resolve) => setTimeout(resolve, 80))
    await files.read("new", async () => fakeFile("new", new Uint8Array(4), log), new Uint8Array(8))
    await settle()
    expect(log).toEqual(["close old"])
    expect(files.size).toBe(1)
  })
})
