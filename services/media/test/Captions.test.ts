// Caption files: SRT and WebVTT as people export them (BOM, CRLF, styles, regions, notes) turned into clean WebVTT;
// markup that could reach a player's HTML removed; and every refusal with its reason.
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { formatTimestamp, MAX_CAPTION_BYTES, toWebVtt } from "../src/Captions.ts"

const utf8 = (text: string) => new TextEncoder().encode(text)

const converted = (input: string | Uint8Array) => {
  const result = toWebVtt(typeof input === "string" ? utf8(input) : input)
  if (Either.isLeft(result)) throw new Error(`refused: ${result.left.reason}`)
  return result.right
}

const refusal = (input: string | Uint8Array) => {
  const result = toWebVtt(typeof input === "string" ? utf8(input) : input)
  return Either.isLeft(result) ? result.left.reason : "accepted"
}

/** Every tag left in the output is one WebVTT allows, with safe classes and annotations. */
const SAFE_TAG =
  /^<(?:\/(?:c|i|b|u|ruby|rt|v|lang)|(?:c|i|b|u|ruby|rt)(?:\.[A-Za-z0-9_-]+)*|v(?:\.[A-Za-z0-9_-]+)*(?: [\p{L}\p{M}\p{N} .'’_()-]+)?|lang(?:\.[A-Za-z0-9_-]+)* [A-Za-z0-9-]+|(?:[0-9]{2,}:)?[0-5][0-9]:[0-5][0-9]\.[0-9]{3})>$/u
const unsafeTags = (vtt: string) => (vtt.match(/<[^>]*>?/g) ?? []).filter((tag) => !SAFE_TAG.test(tag))

describe("SRT to WebVTT", () => {
  it("converts a typical SRT export: BOM, CRLF, numbered cues, comma timings, HTML-ish tags, positions", () => {
    const srt = [
      "\uFEFF1",
      "00:00:01,000 --> 00:00:04,200",
      "<i>Previously on</i> Lectern…",
      "",
      "2",
      "00:00:05,010 --> 00:00:07,500  X1:100 X2:600 Y1:50 Y2:80",
      '{\\an8}<font color="#ffff00">Tom & Jerry</font>',
      "- Two lines, <b>bold</b>",
      "",
      "3",
      "01:02:03,004 --> 01:02:05,000",
      "Last one",
      "",
      ""
    ].join("\r\n")
    expect(converted(srt)).toBe(
      [
        "WEBVTT",
        "",
        "1",
        "00:00:01.000 --> 00:00:04.200",
        "<i>Previously on</i> Lectern…",
        "",
        "2",
        "00:00:05.010 --> 00:00:07.500",
        "Tom &amp; Jerry",
        "- Two lines, <b>bold</b>",
        "",
        "3",
        "01:02:03.004 --> 01:02:05.000",
        "Last one",
        ""
      ].join("\n")
    )
  })

  it("accepts old Mac line endings, missing cue numbers, single-digit hours, arrows without spaces and blank padding", () => {
    const srt = "\r\r00:00:01,500-->00:00:02,000\rHi\r\r\r0:00:03.000 --> 0:00:04,000\rThere\r   \r"
    expect(converted(srt)).toBe("WEBVTT\n\n00:00:01.500 --> 00:00:02.000\nHi\n\n00:00:03.000 --> 00:00:04.000\nThere\n")
  })

  it("keeps uppercase SRT tags as lowercase WebVTT ones and drops lines that were only markup", () => {
    const srt = "1\n00:00:01,000 --> 00:00:02,000\n<I>Shout</I>\n<font size=2></font>\nafter\n"
    expect(converted(srt)).toBe("WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\n<i>Shout</i>\nafter\n")
  })
})

describe("WebVTT", () => {
  const vtt = [
    "\uFEFFWEBVTT - Lecture 3",
    "Kind: captions",
    "Language: en",
    "",
    "STYLE",
    "::cue { background-image: url(https://tracker.example/pixel) }",
    "",
    "REGION",
    "id:speaker width:40% lines:3",
    "regionanchor:0%,100% viewportanchor:10%,90% scroll:up",
    "",
    "NOTE",
    "This note is for translators and",
    "spans lines",
    "",
    "intro",
    "00:01.000 --> 00:04.000 region:speaker align:left position:10%,line-left size:35% bogus:1",
    "<v.loud Roger Bingham>We are in New York City</v>",
    "",
    "NOTE between cues",
    "",
    "00:00:04.000 --> 00:00:06.500 line:0 vertical:rl",
    "<c.yellow.bg_blue>Yellow</c> <00:00:05.000>then <lang pt-BR>olá</lang> &amp; &eacute; <ruby>漢<rt>kan</rt></ruby>",
    "",
    "REGION",
    "id:late",
    "",
    "105:00:00.000 --> 105:00:01.000",
    "<u>Long</u> video",
    ""
  ].join("\r\n")

  it("keeps cues, ids, settings, regions and allowed tags; drops header metadata, STYLE, NOTE and late REGIONs", () => {
    expect(converted(vtt)).toBe(
      [
        "WEBVTT",
        "",
        "REGION",
        "id:speaker",
        "width:40%",
        "lines:3",
        "regionanchor:0%,100%",
        "viewportanchor:10%,90%",
        "scroll:up",
        "",
        "intro",
        "00:00:01.000 --> 00:00:04.000 region:speaker align:left position:10%,line-left size:35%",
        "<v.loud Roger Bingham>We are in New York City</v>",
        "",
        "00:00:04.000 --> 00:00:06.500 line:0 vertical:rl",
        "<c.yellow.bg_blue>Yellow</c> <00:00:05.000>then <lang pt-BR>olá</lang> &amp; &eacute; <ruby>漢<rt>kan</rt></ruby>",
        "",
        "105:00:00.000 --> 105:00:01.000",
        "<u>Long</u> video",
        ""
      ].join("\n")
    )
  })

  it("is its own fixed point: converting the output again changes nothing", () => {
    const once = converted(vtt)
    expect(converted(once)).toBe(once)
  })

  it("accepts a header alone on its line, cues starting at zero and cues with equal starts", () => {
    const text = "WEBVTT\n\n00:00.000 --> 00:01.000\nA\n\n00:00.000 --> 00:02.000\nB\n"
    expect(converted(text)).toBe("WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nA\n\n00:00:00.000 --> 00:00:02.000\nB\n")
  })
})

describe("markup in cue text", () => {
  const hostile = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "<scr<script>ipt>alert(2)</script>",
    "<iframe src=//evil.example></iframe>",
    "<style>body{display:none}</style>",
    "<svg/onload=alert(3)>",
    "<v x onmouseover=alert(4)>speaker</v>",
    '<v Bob" onclick="alert(5)>quoted</v>',
    "<c.a onclick=alert(6)>class</c>",
    '<c.x"y.ok>odd class</c>',
    "<lang en onfocus=alert(7)>lang</lang>",
    "<b<i>>nested</b>",
    "unclosed <img src=x onerror=alert(8)",
    "<!DOCTYPE html>text<![CDATA[x]]>",
    "<<b>>double",
    "<I ONCLICK=alert(9)>upper</I>",
    "<  b>space</b>",
    "<00:00:01.000 onload=x>stamp",
    "</script >end"
  ]

  for (const format of ["vtt", "srt"] as const) {
    it(`leaves only WebVTT's own tags, with safe classes and annotations (${format})`, () => {
      const cues = hostile.map((line, index) =>
        format === "vtt"
          ? `00:00:${String(index).padStart(2, "0")}.000 --> 00:00:${String(index).padStart(2, "0")}.500\n${line}`
          : `${index + 1}\n00:00:${String(index).padStart(2, "0")},000 --> 00:00:${String(index).padStart(2, "0")},500\n${line}`
      )
      const output = converted(`${format === "vtt" ? "WEBVTT\n\n" : ""}${cues.join("\n\n")}\n`)
      expect(unsafeTags(output)).toEqual([])
      for (const word of ["<script", "<img", "<a ", "<iframe", "<style", "<svg", "onmouseover=", "onclick="]) {
        expect([word, output.includes(word)]).toEqual([word, false])
      }
      // Same number of cues out as in: nothing merged or split by markup.
      expect(output.match(/ --> /g)).toHaveLength(hostile.length)
      const text = output.split("\n\n").slice(1)
      expect(text[7]).toContain("<v x onmouseoveralert(4)>speaker</v>")
      expect(text[8]).toContain("<v Bob onclickalert(5)>quoted</v>")
      expect(text[9]).toContain("<c.a>class</c>")
      expect(text[10]).toContain("<c.ok>odd class</c>")
      expect(text[11]).toContain("lang</lang>")
      expect(text[11]).not.toContain("<lang")
      expect(text[13]).toContain("unclosed &lt;img src=x onerror=alert(8)")
      expect(text[16]).toContain("<i>upper</i>")
    })
  }

  it("escapes what would otherwise read as a cue timing once tags are removed", () => {
    const output = converted("WEBVTT\n\n00:01.000 --> 00:02.000\nan arrow --<x>> here\n")
    expect(output).toContain("an arrow --&gt; here")
    expect(output.match(/-->/g)).toHaveLength(1)
  })
})

describe("refusals", () => {
  const cue = "00:00:01.000 --> 00:00:02.000\nHello\n"

  it("refuses an empty file and one larger than 1 MiB, and accepts exactly 1 MiB", () => {
    expect(refusal("")).toBe("the caption file is empty")
    const head = `WEBVTT\n\nNOTE `
    const tail = `\n\n${cue}`
    const exactly = `${head}${"x".repeat(MAX_CAPTION_BYTES - head.length - tail.length)}${tail}`
    expect(utf8(exactly).length).toBe(MAX_CAPTION_BYTES)
    expect(refusal(exactly)).toBe("accepted")
    const over = `${head}${"x".repeat(MAX_CAPTION_BYTES + 1 - head.length - tail.length)}${tail}`
    expect(refusal(over)).toBe(
      `a caption file is at most ${MAX_CAPTION_BYTES} bytes (1 MiB); this one is ${MAX_CAPTION_BYTES + 1} bytes`
    )
  })

  it("refuses text that is not UTF-8: invalid bytes, UTF-16 with or without BOM", () => {
    const latin1 = new Uint8Array([...utf8("WEBVTT\n\n00:01.000 --> 00:02.000\nCaf"), 0xe9, 0x0a])
    expect(refusal(latin1)).toBe("the caption file is not UTF-8 text; save it as UTF-8")
    const utf16 = (text: string, bom: boolean) => {
      const body = Buffer.from(text, "utf16le")
      return new Uint8Array(bom ? [0xff, 0xfe, ...body] : [...body])
    }
    expect(refusal(utf16(`WEBVTT\n\n${cue}`, true))).toBe("the caption file is UTF-16 text; save it as UTF-8")
    expect(refusal(new Uint8Array([0xfe, 0xff, 0, 0x57]))).toBe("the caption file is UTF-16 text; save it as UTF-8")
    expect(refusal(utf16(`WEBVTT\n\n${cue}`, false))).toBe(
      "the caption file contains NUL characters: it is not UTF-8 text"
    )
  })

  it("refuses a file without cues", () => {
    expect(refusal("WEBVTT\n")).toBe("the caption file has no cues")
    expect(refusal("\uFEFFWEBVTT\r\n\r\nNOTE nothing here\r\n\r\nSTYLE\r\n::cue {}\r\n")).toBe(
      "the caption file has no cues"
    )
    expect(refusal("\n\n  \n")).toBe("the caption file has no cues")
  })

  it("refuses a file that is neither WebVTT nor SRT", () => {
    expect(refusal("Hello, this is a transcript.\nIt has no timings.\n")).toBe(
      "line 1: this is neither WebVTT (it does not start with WEBVTT) nor SubRip (SRT): expected a cue number or a " +
        "timing such as 00:00:01,000 --> 00:00:02,000"
    )
    expect(refusal("WEBVTTX\n\n00:01.000 --> 00:02.000\nx\n")).toMatch(/^line 1: this is neither WebVTT/)
  })

  it("refuses malformed timings, naming the line", () => {
    const vtt = (timing: string) => refusal(`WEBVTT\n\nNOTE x\n\n${timing}\nText\n`)
    expect(vtt("00:00:01,000 --> 00:00:02.000")).toBe(
      'line 5: "00:00:01,000" is not a timestamp (hh:mm:ss.ttt or mm:ss.ttt)'
    )
    expect(vtt("1:00:01.000 --> 1:00:02.000")).toBe(
      'line 5: "1:00:01.000" is not a timestamp (hh:mm:ss.ttt or mm:ss.ttt)'
    )
    expect(vtt("00:60.000 --> 01:00.000")).toBe('line 5: "00:60.000" is not a timestamp (hh:mm:ss.ttt or mm:ss.ttt)')
    expect(vtt("00:00:01.000 --> 00:61:00.000")).toBe(
      'line 5: "00:61:00.000" is not a timestamp (hh:mm:ss.ttt or mm:ss.ttt)'
    )
    expect(vtt("00:01.00 --> 00:02.000")).toBe('line 5: "00:01.00" is not a timestamp (hh:mm:ss.ttt or mm:ss.ttt)')
    expect(vtt("00:01.000 --> ")).toBe(
      'line 5: "00:01.000 --> " is not a cue timing such as 00:00:01.000 --> 00:00:02.000'
    )
    expect(vtt("id only")).toBe('line 6: "Text" is not a cue timing such as 00:00:01.000 --> 00:00:02.000')
    expect(refusal("WEBVTT\n\nlonely\n")).toBe(
      'line 3: "lonely" is neither a cue timing such as 00:00:01.000 --> 00:00:02.000 nor a cue id'
    )
    const srt = (timing: string) => refusal(`1\n${timing}\nText\n`)
    expect(srt("00:00:01.0 --> 00:00:02,000")).toBe('line 2: "00:00:01.0" is not a timestamp (hh:mm:ss,ttt)')
    expect(srt("00:01,000 --> 00:02,000")).toBe('line 2: "00:01,000" is not a timestamp (hh:mm:ss,ttt)')
    expect(srt("00:00:01,000 -> 00:00:02,000")).toBe(
      'line 2: "00:00:01,000 -> 00:00:02,000" is not a cue timing such as 00:00:01,000 --> 00:00:02,000'
    )
    expect(refusal("1\n\n00:00:01,000 --> 00:00:02,000\nx\n")).toBe(
      "line 2: cue 1 has no timing such as 00:00:01,000 --> 00:00:02,000"
    )
    expect(refusal(`1\n00:00:01,000 --> 00:00:02,000\nok\n\nstray words\n`)).toBe(
      "line 5: expected a cue number or a timing such as 00:00:01,000 --> 00:00:02,000"
    )
    expect(refusal(`WEBVTT\n${cue}`)).toBe("line 2: leave a blank line between the WEBVTT header and the cues")
  })

  it("refuses a cue that ends before or when it starts", () => {
    const text = [
      "WEBVTT",
      "",
      "00:00:01.000 --> 00:00:02.000",
      "fine",
      "",
      "00:00:09.000 --> 00:00:08.500",
      "backwards"
    ].join("\n")
    expect(refusal(text)).toBe("line 6: the cue ends (00:00:08.500) before it starts (00:00:09.000)")
    expect(refusal("1\r\n00:00:03,000 --> 00:00:03,000\r\nnever shown\r\n")).toBe(
      "line 2: the cue ends when it starts (00:00:03.000)"
    )
  })

  it("refuses cues out of time order", () => {
    const text = "1\n00:00:05,000 --> 00:00:06,000\nsecond\n\n2\n00:00:01,000 --> 00:00:02,000\nfirst\n"
    expect(refusal(text)).toBe(
      "line 6: this cue starts at 00:00:01.000, before the one above (00:00:05.000); cues must be in time order"
    )
  })

  it('refuses "-->" in cue text', () => {
    expect(refusal("WEBVTT\n\n00:01.000 --> 00:02.000\nfine\nnot --> fine\n")).toBe(
      'line 5: cue text cannot contain "-->"'
    )
    expect(refusal("1\n00:00:01,000 --> 00:00:02,000\na-->b\n")).toBe('line 3: cue text cannot contain "-->"')
  })
})

describe("formatTimestamp", () => {
  it("writes hh:mm:ss.ttt with at least two hour digits", () => {
    expect(formatTimestamp(0)).toBe("00:00:00.000")
    expect(formatTimestamp(3_723_004)).toBe("01:02:03.004")
    expect(formatTimestamp(378_000_001)).toBe("105:00:00.001")
  })
})
