// Certificates: ids, the canonical form and its verification code (every alteration refused), and the PDF as poppler
// renders and reads it — page size, text, the QR code's modules, and names the standard fonts cannot draw.
import { execFileSync } from "node:child_process"
import { createHmac } from "node:crypto"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { PDFDocument, StandardFonts } from "pdf-lib"
import QRCode from "qrcode"
import {
  CERTIFICATE_PAGE,
  CERTIFICATE_QR_BOX,
  type CertificateFields,
  type CertificatePdf,
  canonicalCertificate,
  codeMatches,
  newCertificateId,
  parseVerificationCode,
  renderCertificatePdf,
  toWinAnsiText,
  verificationCode
} from "../src/Certificates.ts"

const SECRET = "a-certificate-secret-of-decent-length"
const FIELDS: CertificateFields = {
  certificateId: "q3Yx8bX0cQ2vVh1mZr4eJw",
  learnerId: "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
  courseId: "0b6b3c0e-5d1a-4c7e-9f00-2f4d7a9e1c35",
  issuedAt: new Date("2026-11-25T23:56:38.123Z")
}
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
const CODE_PATTERN = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){6}$/

const code = verificationCode({ secret: SECRET, ...FIELDS })

/** The code with the symbol at `index` (0–27, dashes not counted) replaced by the next one in the alphabet. */
const withSymbolChanged = (text: string, index: number) => {
  const symbols = [...text.replaceAll("-", "")]
  symbols[index] = CROCKFORD[(CROCKFORD.indexOf(symbols[index] ?? "0") + 1) % CROCKFORD.length] ?? "0"
  return (symbols.join("").match(/.{4}/g) ?? []).join("-")
}

describe("newCertificateId", () => {
  it("gives 22-character base64url ids of 128 random bits, all different", () => {
    const ids = Array.from({ length: 2000 }, newCertificateId)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/)
      expect(Buffer.from(id, "base64url")).toHaveLength(16)
    }
  })
})

describe("canonicalCertificate", () => {
  it("is a versioned JSON array in a fixed order, with the instant in ISO-8601 UTC with milliseconds", () => {
    expect(canonicalCertificate(FIELDS)).toBe(
      `["lectern-certificate-v1","${FIELDS.learnerId}","${FIELDS.courseId}","2026-11-25T23:56:38.123Z","${FIELDS.certificateId}"]`
    )
    const sameInstant = { ...FIELDS, issuedAt: new Date("2026-11-26T00:56:38.123+01:00") }
    expect(canonicalCertificate(sameInstant)).toBe(canonicalCertificate(FIELDS))
    expect(canonicalCertificate({ ...FIELDS, issuedAt: new Date("2026-11-25T23:56:38Z") })).toContain(
      '"2026-11-25T23:56:38.000Z"'
    )
  })

  it("keeps every field apart: no text can move from one field into another", () => {
    const base = { certificateId: "id", issuedAt: FIELDS.issuedAt }
    const tuples: ReadonlyArray<readonly [string, string]> = [
      ["a|b", "c"],
      ["a", "b|c"],
      ["ab", "c"],
      ["a", "bc"],
      ['a","b', "c"],
      ["a", '"b","c'],
      ["a\\", '","c'],
      ["a,b", "c"],
      ["a", ",b,c"]
    ]
    const forms = tuples.map(([learnerId, courseId]) => canonicalCertificate({ ...base, learnerId, courseId }))
    expect(new Set(forms).size).toBe(tuples.length)
    for (const [index, form] of forms.entries()) {
      const parsed: unknown = JSON.parse(form)
      expect(parsed).toEqual(["lectern-certificate-v1", ...(tuples[index] ?? []), FIELDS.issuedAt.toISOString(), "id"])
    }
    // The certificate id cannot trade characters with the instant either.
    const shifted = canonicalCertificate({ ...FIELDS, certificateId: `Z${FIELDS.certificateId}` })
    expect(shifted).not.toBe(canonicalCertificate(FIELDS))
  })

  it("refuses empty ids and invalid dates", () => {
    expect(() => canonicalCertificate({ ...FIELDS, learnerId: "" })).toThrow(/learnerId/)
    expect(() => canonicalCertificate({ ...FIELDS, courseId: "" })).toThrow(/courseId/)
    expect(() => canonicalCertificate({ ...FIELDS, certificateId: "" })).toThrow(/certificateId/)
    expect(() => canonicalCertificate({ ...FIELDS, issuedAt: new Date(Number.NaN) })).toThrow(/issuedAt/)
  })
})

describe("verificationCode / codeMatches", () => {
  it("is 28 Crockford symbols in groups of four: the first 140 bits of the HMAC-SHA256 of the canonical form", () => {
    expect(code).toMatch(CODE_PATTERN)
    expect(verificationCode({ secret: SECRET, ...FIELDS })).toBe(code)
    const mac = createHmac("sha256", SECRET).update(canonicalCertificate(FIELDS)).digest()
    const macBits = [...mac].map((byte) => byte.toString(2).padStart(8, "0")).join("")
    const codeBits = [...code.replaceAll("-", "")]
      .map((symbol) => CROCKFORD.indexOf(symbol).toString(2).padStart(5, "0"))
      .join("")
    expect(codeBits).toHaveLength(140)
    expect(codeBits).toBe(macBits.slice(0, 140))
  })

  it("verifies the real code, also as a person may type it", () => {
    expect(codeMatches(SECRET, FIELDS, code)).toBe(true)
    expect(codeMatches(SECRET, FIELDS, code.toLowerCase())).toBe(true)
    expect(codeMatches(SECRET, FIELDS, ` ${code.replaceAll("-", " ")} `)).toBe(true)
    expect(codeMatches(SECRET, FIELDS, code.replaceAll("-", ""))).toBe(true)
  })

  it("refuses the code with any one symbol changed", () => {
    for (let index = 0; index < 28; index++) {
      const changed = withSymbolChanged(code, index)
      expect(changed).toMatch(CODE_PATTERN)
      expect(parseVerificationCode(changed)).not.toBe(code)
      expect([index, codeMatches(SECRET, FIELDS, changed)]).toEqual([index, false])
    }
    expect(codeMatches(SECRET, FIELDS, code.slice(0, -1))).toBe(false)
    expect(codeMatches(SECRET, FIELDS, `${code}0`)).toBe(false)
  })

  it("refuses the code for any changed field, or under another secret", () => {
    const millisecond = (delta: number) => new Date(FIELDS.issuedAt.getTime() + delta)
    const altered: ReadonlyArray<CertificateFields> = [
      { ...FIELDS, learnerId: "1f0e9d8c-7b6a-4d3c-8b2a-5f4e9d8c7b6a" },
      { ...FIELDS, learnerId: `${FIELDS.learnerId} ` },
      { ...FIELDS, courseId: "6f1d2a8e-0c3b-4e5f-8a9b-7c6d5e4f3a21" },
      { ...FIELDS, issuedAt: millisecond(1) },
      { ...FIELDS, issuedAt: millisecond(-1) },
      { ...FIELDS, certificateId: `${FIELDS.certificateId.slice(0, -1)}x` },
      { ...FIELDS, learnerId: FIELDS.courseId, courseId: FIELDS.learnerId }
    ]
    for (const fields of altered) {
      expect(codeMatches(SECRET, fields, code)).toBe(false)
      expect(verificationCode({ secret: SECRET, ...fields })).not.toBe(code)
    }
    expect(codeMatches(`${SECRET}!`, FIELDS, code)).toBe(false)
    expect(verificationCode({ secret: `${SECRET}!`, ...FIELDS })).not.toBe(code)
  })

  it("refuses what is not a code at all", () => {
    for (const text of ["", "-", "not a code", code.replace(/[0-9A-Z]$/, "U"), "0".repeat(28), "x".repeat(10_000)]) {
      expect([text.slice(0, 40), codeMatches(SECRET, FIELDS, text)]).toEqual([text.slice(0, 40), false])
    }
  })

  it("refuses to sign with a short secret", () => {
    expect(() => verificationCode({ secret: "short", ...FIELDS })).toThrow(/secret/)
    expect(() => codeMatches("short", FIELDS, code)).toThrow(/secret/)
  })
})

describe("parseVerificationCode", () => {
  it("gives the canonical grouped form of case, spacing and dash variants", () => {
    const canonical = "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345"
    const variants = [
      canonical,
      canonical.toLowerCase(),
      canonical.replaceAll("-", ""),
      canonical.replaceAll("-", " "),
      `  ${canonical.replaceAll("-", " - ")}\n`,
      canonical.replaceAll("-", "\u2013"),
      "abcd efgh jkmn pqrs tvwx yz01 2345",
      "A-B-C-D-E-F-G-H-J-K-M-N-P-Q-R-S-T-V-W-X-Y-Z-0-1-2-3-4-5"
    ]
    for (const variant of variants) expect([variant, parseVerificationCode(variant)]).toEqual([variant, canonical])
  })

  it("reads Crockford's look-alikes as digits: I and L as 1, O as 0", () => {
    expect(parseVerificationCode("IiLl-OoAB-CDEF-GHJK-MNPQ-RSTV-WXYZ")).toBe("1111-00AB-CDEF-GHJK-MNPQ-RSTV-WXYZ")
  })

  it("answers undefined for anything else", () => {
    const refused = [
      "",
      "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-234",
      "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-23456",
      "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-234U",
      "ABCD.EFGH.JKMN.PQRS.TVWX.YZ01.2345",
      "ABCD_EFGH_JKMN_PQRS_TVWX_YZ01_2345",
      "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-234Ｚ",
      "ıBCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345",
      "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-234é",
      `${" ".repeat(100)}ABCDEFGHJKMNPQRSTVWXYZ012345`
    ]
    for (const text of refused) expect([text, parseVerificationCode(text)]).toEqual([text, undefined])
  })
})

describe("toWinAnsiText", () => {
  it("keeps WinAnsi text, transliterates what it can and replaces the rest with ?", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["Zoë Brontë-Ångström", "Zoë Brontë-Ångström"],
      ["Łukasz Żółć", "Lukasz Zólc"],
      ["Gaëlle “Œuvre” — 5 €", "Gaëlle “Œuvre” — 5 €"],
      ["Wiśniewski Đorđe ﬁnal Ｆull", "Wisniewski Dorde final Full"],
      ["李雷", "??"],
      ["Ada 👩‍💻 Lovelace", "Ada ? Lovelace"],
      ["🇵🇱 flag", "? flag"],
      ["Иван", "????"],
      ["  a\u200Bb\tc\n\u00A0 d\u0007 ", "ab c d"],
      ["e\u0301 q\u0303", "é q"]
    ]
    for (const [text, expected] of cases) expect([text, toWinAnsiText(text)]).toEqual([text, expected])
  })

  it("keeps what Helvetica can draw, and gives only that for every character of the BMP", async () => {
    const helvetica = await (await PDFDocument.create()).embedFont(StandardFonts.Helvetica)
    const drawable = new Set(helvetica.getCharacterSet())
    const lost: Array<string> = []
    const undrawable: Array<string> = []
    for (let codePoint = 0; codePoint <= 0xffff; codePoint++) {
      if (codePoint >= 0xd800 && codePoint <= 0xdfff) continue
      const char = String.fromCodePoint(codePoint)
      const printed = toWinAnsiText(`x${char}x`)
      // Whitespace becomes a plain space and invisible formatting (the soft hyphen) is dropped, as documented.
      const visible = char.trim() !== "" && !/\p{Cf}/u.test(char)
      if (drawable.has(codePoint) && visible && printed !== `x${char}x`) lost.push(char)
      try {
        helvetica.encodeText(printed)
      } catch {
        undrawable.push(char)
      }
    }
    expect(lost).toEqual([])
    expect(undrawable).toEqual([])
  })
})

// ---------------------------------------------------------------- the PDF, through poppler

const workDirectory = mkdtempSync(join(tmpdir(), "lectern-certificates-"))
afterAll(() => rmSync(workDirectory, { recursive: true, force: true }))

/** Runs a poppler tool; fails (never skips) when poppler-utils is missing: CI installs it. */
const poppler = (tool: "pdftoppm" | "pdftotext", args: ReadonlyArray<string>): string => {
  try {
    return execFileSync(tool, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: 30_000 })
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") {
      throw new Error(`${tool} is not installed: apt-get install -y poppler-utils`)
    }
    throw cause
  }
}

let files = 0
const writePdf = (pdf: Uint8Array) => {
  const path = join(workDirectory, `certificate-${files++}.pdf`)
  writeFileSync(path, pdf)
  return path
}

/** The page's text as pdftotext reads it, whitespace collapsed (line breaks become spaces). */
const textOf = (path: string) => poppler("pdftotext", ["-enc", "UTF-8", path, "-"]).replace(/\s+/g, " ")

/** Every word pdftotext finds on page 1, with its box in points from the top-left corner. */
const wordsOf = (path: string) =>
  [
    ...poppler("pdftotext", ["-bbox", "-enc", "UTF-8", path, "-"]).matchAll(
      /<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g
    )
  ].map(([, xMin, yMin, xMax, yMax, word]) => ({
    word: word ?? "",
    xMin: Number(xMin),
    yMin: Number(yMin),
    xMax: Number(xMax),
    yMax: Number(yMax)
  }))

const ISSUED_AT = FIELDS.issuedAt
const VERIFY_URL = `https://lectern.example/certificates/verify/${code}`
const CERTIFICATE: CertificatePdf = {
  learnerName: "Grace Brewster Hopper",
  courseTitle: "Compilers for Working Programmers",
  creatorName: "Ada Lovelace",
  issuedAt: ISSUED_AT,
  code,
  verifyUrl: VERIFY_URL
}

describe("renderCertificatePdf", () => {
  it("makes a one-page A4 landscape PDF that pdftoppm renders", async () => {
    const pdf = await renderCertificatePdf(CERTIFICATE)
    expect(Buffer.from(pdf.subarray(0, 5)).toString("latin1")).toBe("%PDF-")
    const document = await PDFDocument.load(pdf)
    expect(document.getPageCount()).toBe(1)
    expect(document.getPage(0).getSize()).toEqual(CERTIFICATE_PAGE)

    const path = writePdf(pdf)
    const prefix = join(workDirectory, "page")
    poppler("pdftoppm", ["-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", path, prefix])
    const png = readFileSync(`${prefix}.png`)
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    const width = png.readUInt32BE(16)
    const height = png.readUInt32BE(20)
    // 841.89 × 595.28 points at 50 dpi.
    expect(Math.abs(width - 585)).toBeLessThanOrEqual(1)
    expect(Math.abs(height - 413)).toBeLessThanOrEqual(1)
    expect(width / height).toBeCloseTo(Math.SQRT2, 2)
  })

  it("prints the learner, course, creator, date of issue, code and verify URL", async () => {
    const text = textOf(writePdf(await renderCertificatePdf(CERTIFICATE)))
    for (const expected of [
      "Certificate of Completion",
      "Grace Brewster Hopper",
      "Compilers for Working Programmers",
      "taught by Ada Lovelace",
      "Issued on 25 November 2026",
      code,
      VERIFY_URL
    ]) {
      expect([expected, text.includes(expected)]).toEqual([expected, true])
    }
    const withoutCreator = textOf(writePdf(await renderCertificatePdf({ ...CERTIFICATE, creatorName: undefined })))
    expect(withoutCreator).not.toContain("taught by")
    expect(withoutCreator).toContain("Grace Brewster Hopper")
  })

  it("draws the verify URL's QR code module for module, with a white quiet zone", async () => {
    const path = writePdf(await renderCertificatePdf(CERTIFICATE))
    const prefix = join(workDirectory, "qr")
    const dpi = 144
    poppler("pdftoppm", ["-gray", "-r", String(dpi), "-f", "1", "-l", "1", "-singlefile", path, prefix])
    const pgm = readFileSync(`${prefix}.pgm`)
    const header = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(pgm.subarray(0, 32).toString("latin1"))
    expect(header).not.toBeNull()
    const [headerText = "", width = "0"] = header ?? []
    const pixels = pgm.subarray(headerText.length)
    const scale = dpi / 72
    const isDark = (x: number, y: number) =>
      (pixels[Math.floor((CERTIFICATE_PAGE.height - y) * scale) * Number(width) + Math.floor(x * scale)] ?? 255) < 128

    const { modules } = QRCode.create(VERIFY_URL, { errorCorrectionLevel: "M" })
    const { x, y, size } = CERTIFICATE_QR_BOX
    const module = size / (modules.size + 8)
    const mismatches: Array<string> = []
    for (let row = -4; row < modules.size + 4; row++) {
      for (let column = -4; column < modules.size + 4; column++) {
        const inside = row >= 0 && column >= 0 && row < modules.size && column < modules.size
        const expected = inside && modules.get(row, column) === 1
        const centerX = x + (column + 4.5) * module
        const centerY = y + size - (row + 4.5) * module
        if (isDark(centerX, centerY) !== expected) mismatches.push(`${row},${column}`)
      }
    }
    expect(mismatches).toEqual([])
  })

  it("renders Polish, Chinese and emoji names without throwing, with the documented fallback", async () => {
    const pdf = await renderCertificatePdf({
      ...CERTIFICATE,
      learnerName: "Łukasz Wiśniewski 李雷 👩‍💻",
      courseTitle: "Programowanie funkcyjne — źródła 🚀 课程",
      creatorName: "Zoë 🎓"
    })
    const text = textOf(writePdf(pdf))
    expect(text).toContain("Lukasz Wisniewski ?? ?")
    expect(text).toContain("Programowanie funkcyjne — zródla ? ??")
    expect(text).toContain("taught by Zoë ?")
    expect(text).toContain(code)
    const metadata = await PDFDocument.load(pdf, { updateMetadata: false })
    expect(metadata.getSubject()).toContain("Łukasz Wiśniewski 李雷 👩‍💻")
  })

  it("keeps long names, titles and unbreakable words inside the frame", async () => {
    const longName = "Maximilian Alexander Bartholomew Konstantin von Hohenzollern-Sigmaringen der Dritte"
    const longTitle = "An Unreasonably Thorough Introduction to Typed Functional Programming, Effects and Streams"
    const fittingPath = writePdf(
      await renderCertificatePdf({ ...CERTIFICATE, learnerName: longName, courseTitle: longTitle })
    )
    const text = textOf(fittingPath)
    expect(text).toContain(longName)
    expect(text).toContain(longTitle)

    const huge = `${"Supercalifragilistic".repeat(15)} ${"word ".repeat(300)}`
    const hugePath = writePdf(
      await renderCertificatePdf({ ...CERTIFICATE, learnerName: huge, courseTitle: huge, creatorName: huge })
    )
    expect(textOf(hugePath)).toContain(code)
    for (const path of [fittingPath, hugePath]) {
      const words = wordsOf(path)
      expect(words.length).toBeGreaterThan(10)
      const outside = words.filter(
        (word) =>
          word.xMin < 40 ||
          word.xMax > CERTIFICATE_PAGE.width - 40 ||
          word.yMin < 40 ||
          word.yMax > CERTIFICATE_PAGE.height - 40
      )
      expect(outside).toEqual([])
      // Nothing printed overlaps the QR code.
      const qrTop = CERTIFICATE_PAGE.height - CERTIFICATE_QR_BOX.y - CERTIFICATE_QR_BOX.size
      const overQr = words.filter((word) => word.xMax > CERTIFICATE_QR_BOX.x && word.yMax > qrTop)
      expect(overQr).toEqual([])
    }
  })

  it("gives the same bytes for the same certificate", async () => {
    const first = await renderCertificatePdf(CERTIFICATE)
    const second = await renderCertificatePdf({ ...CERTIFICATE, issuedAt: new Date(ISSUED_AT.getTime()) })
    expect(Buffer.from(first).equals(Buffer.from(second))).toBe(true)
  })

  it("rejects a verify URL too long for a QR code, and an invalid date", async () => {
    await expect(renderCertificatePdf({ ...CERTIFICATE, verifyUrl: `https://x/${"a".repeat(3000)}` })).rejects.toThrow(
      /QR code/
    )
    await expect(renderCertificatePdf({ ...CERTIFICATE, issuedAt: new Date(Number.NaN) })).rejects.toThrow(/issuedAt/)
  })
})
