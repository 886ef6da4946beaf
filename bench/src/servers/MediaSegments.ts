// The HLS segment part of the media bench: ~1.5 MB segments written into a ready media's generation in the
// filesystem blob store, GETs of them through the gateway ÷ nginx serving the same files, cold and hot.
import { readdir, readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { getLoad, WrongAnswer } from "../Load.ts"
import { compare, measured, type Outcome } from "../Report.ts"
import { alternate } from "../Rounds.ts"
import { NGINX_MISSING, nginxInstalled, type RunningNginx, startNginx } from "./Nginx.ts"

/** 8192 TS packets (1.54 MB): a 2 s segment at about 6 Mbit/s. */
export const SEGMENT_BYTES = 8192 * 188
/** The gateway's LRU of immutable HLS files: its default, set explicitly so the cold set below stays larger. */
export const CACHE_BYTES = 256 * 1024 * 1024
/**
 * Distinct segments the cold runs take in turn: 15% more bytes than the LRU holds, so even with the LRU on every
 * read would miss it (the cold runs go to a second gateway with the LRU off, so every GET reads its file).
 */
export const coldSegmentCount = (cacheBytes: number, segmentBytes: number) =>
  Math.ceil((cacheBytes * 1.15) / segmentBytes)
/** The segments the hot runs repeat. */
const HOT_SEGMENTS = 4
/** Bench segments are numbered from here, past any a transcode writes for a short source. */
const FIRST_BENCH_SEGMENT = 90_000

const LECTERN_COLD = "gateway segments cold"
const NGINX_COLD = "nginx segments cold"
const LECTERN_HOT = "gateway segments hot"
const NGINX_HOT = "nginx segments hot"
type SegmentServer = typeof LECTERN_COLD | typeof NGINX_COLD | typeof LECTERN_HOT | typeof NGINX_HOT

const megabytes = (bytes: number) => (bytes / 1e6).toFixed(bytes >= 1e7 ? 0 : 2)

/**
 * `length` bytes of whole TS packets from `pool` (real segments back to back), starting at packet `index × 997`
 * and wrapping around: every bench segment is different, and each is a valid stream of packets.
 */
export const segmentFromPool = (pool: Uint8Array, index: number, length: number): Uint8Array => {
  const packets = Math.floor(pool.length / 188)
  if (packets === 0) throw new Error("no TS packets to build segments from")
  const out = new Uint8Array(length)
  let from = ((index * 997) % packets) * 188
  for (let at = 0; at < length; ) {
    const take = Math.min(length - at, packets * 188 - from)
    out.set(pool.subarray(from, from + take), at)
    at += take
    from = 0
  }
  return out
}

export interface SegmentBench {
  readonly origin: string
  readonly gatewayPid: number | undefined
  /** A gateway on the same database and blobs with MEDIA_CACHE_BYTES=0: the cold runs' server. */
  readonly coldOrigin: string
  readonly coldGatewayPid: number | undefined
  /** The directory of the served media's current generation (`<blob root>/media/<id>/v<n>/`). */
  readonly generationDir: string
  /** The signed path every HLS file of the media is under, e.g. `/media/hls/<id>/<token>/`. */
  readonly playbackBase: string
  /** The rung whose segments are served (the top one). */
  readonly rung: string
  readonly connections: number
  readonly settings: { readonly rounds: number; readonly durationSeconds: number; readonly warmupSeconds: number }
  readonly log: (line: string) => void
}

/** Writes the bench segments, checks both servers answer each with its bytes, and runs the alternating rounds. */
export const compareSegments = async (bench: SegmentBench): Promise<ReadonlyArray<Outcome>> => {
  const { log } = bench
  const rungDir = join(bench.generationDir, bench.rung)
  const transcoded = (await readdir(rungDir)).filter((name) => name.endsWith(".ts")).sort()
  const pool = Buffer.concat(await Promise.all(transcoded.map((name) => readFile(join(rungDir, name)))))
  const count = coldSegmentCount(CACHE_BYTES, SEGMENT_BYTES)
  const files: Array<{ readonly path: string; readonly bytes: Uint8Array }> = []
  for (let i = 0; i < count; i++) {
    const name = `segment-${FIRST_BENCH_SEGMENT + i}.ts`
    const bytes = segmentFromPool(pool, i, SEGMENT_BYTES)
    // The filesystem blob store keeps one plain file per key: this is what its putFile leaves.
    await writeFile(join(rungDir, name), bytes)
    files.push({ path: `${bench.rung}/${name}`, bytes })
  }
  log(
    `  wrote ${count} segments of ${megabytes(SEGMENT_BYTES)} MB (TS packets of the transcoded ${bench.rung} ` +
      `segments) into ${bench.generationDir}, the blob store's directory of the media's current generation`
  )
  let nginx: RunningNginx | undefined
  try {
    if (nginxInstalled()) {
      nginx = await startNginx(bench.generationDir, `/${files[0]?.path}`)
      log(`  nginx at ${nginx.origin} with that directory as its root (sendfile on, 1 worker, access_log off)`)
    } else {
      log(`  nginx comparisons skipped: ${NGINX_MISSING}; the gateway's runs are recorded all the same`)
    }
    const running = nginx
    const lecternPath = (file: string) => `${bench.playbackBase}${file}`
    // Every answer's bytes, once, before the rounds (the runs check the status and length of every answer).
    for (const file of files) {
      const urls = [
        `${bench.origin}${lecternPath(file.path)}`,
        `${bench.coldOrigin}${lecternPath(file.path)}`,
        ...(running ? [`${running.origin}/${file.path}`] : [])
      ]
      for (const url of urls) {
        const response = await fetch(url)
        const body = Buffer.from(await response.arrayBuffer())
        if (response.status !== 200 || !body.equals(file.bytes)) {
          throw new WrongAnswer(`${url} answered ${response.status} with ${body.length} bytes that are not the file's`)
        }
      }
    }
    const coldPaths = files.map((file) => file.path)
    const hotPaths = coldPaths.slice(0, HOT_SEGMENTS)
    const servers: Array<SegmentServer> =
      running === undefined ? [LECTERN_COLD, LECTERN_HOT] : [LECTERN_COLD, NGINX_COLD, LECTERN_HOT, NGINX_HOT]
    const runs = await alternate<SegmentServer>({
      servers,
      rounds: bench.settings.rounds,
      durationSeconds: bench.settings.durationSeconds,
      warmupSeconds: bench.settings.warmupSeconds,
      log,
      run: (server, seconds) => {
        const lectern = server === LECTERN_COLD || server === LECTERN_HOT
        const paths = server === LECTERN_COLD || server === NGINX_COLD ? coldPaths : hotPaths
        const gatewayPid = server === LECTERN_COLD ? bench.coldGatewayPid : bench.gatewayPid
        return getLoad({
          origin: server === LECTERN_COLD ? bench.coldOrigin : lectern ? bench.origin : (running?.origin ?? ""),
          paths: paths.map((path) => (lectern ? lecternPath(path) : `/${path}`)),
          bodyBytes: SEGMENT_BYTES,
          connections: bench.connections,
          seconds,
          serverPids: lectern ? (gatewayPid === undefined ? [] : [gatewayPid]) : (running?.pids() ?? [])
        })
      }
    })
    const served = (server: SegmentServer) => measured(server, runs.get(server) ?? [])
    const size = `${megabytes(SEGMENT_BYTES)} MB`
    const through = "through /media/hls/<id>/<token>/… (token check, media state, blob read or LRU hit, ETag)"
    const nginxShape = "nginx (Debian package, sendfile on, 1 worker, access_log off) serving the same files"
    const cases = [
      {
        bench: "HLS segments cold ÷ nginx",
        candidate: LECTERN_COLD,
        baseline: NGINX_COLD,
        target: 0.7,
        shape:
          `GETs of ${count} distinct ${size} segments in turn (${megabytes(count * SEGMENT_BYTES)} MB) from a ` +
          "gateway with its LRU off (MEDIA_CACHE_BYTES=0), so every GET reads its file into a pooled buffer"
      },
      {
        bench: "HLS segments hot ÷ nginx",
        candidate: LECTERN_HOT,
        baseline: NGINX_HOT,
        target: 1.0,
        shape: `GETs of the same ${HOT_SEGMENTS} ${size} segments over and over (LRU hits)`
      }
    ] as const
    return cases.map((c) => {
      const description = `${c.shape} ${through} ÷ ${nginxShape}; both from the page cache, loopback`
      return running === undefined
        ? { bench: c.bench, description, reason: NGINX_MISSING, candidate: served(c.candidate) }
        : compare({
            bench: c.bench,
            description,
            connections: bench.connections,
            candidate: served(c.candidate),
            baseline: served(c.baseline),
            target: c.target
          })
    })
  } finally {
    await nginx?.stop()
  }
}
