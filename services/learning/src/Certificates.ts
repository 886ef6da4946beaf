// Course certificates: unguessable ids, the HMAC verification code printed on them, and the PDF a learner downloads.
//
// Canonical form (what the code signs) — a JSON array, so no field can bleed into another:
//
//   ["lectern-certificate-v1", learnerId, courseId, issuedAt, certificateId]
//
// with `issuedAt` in ISO-8601 UTC with milliseconds (`Date.prototype.toISOString`, e.g. `2026-11-25T23:56:38.000Z`).
// Sign the very Date that is stored: a timestamptz keeps its milliseconds, so the Date read back gives the same form.
//
// Verification code: HMAC-SHA256 keyed with the server secret over the canonical form's UTF-8 bytes; its first 140
// bits are written as 28 symbols of Crockford base32 (`0-9 A-Z` without I, L, O, U), in seven dash-separated groups
// of four: `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX`. The code is unique per certificate for all practical purposes, so the
// verify page can look a certificate up by it, then recompute it from the stored fields: a forged code or an altered
// field does not verify.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto"
import {
  fill,
  PDFDocument,
  type PDFFont,
  type PDFPage,
  popGraphicsState,
  pushGraphicsState,
  rectangle,
  rgb,
  StandardFonts,
  setFillingRgbColor
} from "pdf-lib"
import QRCode from "qrcode"

/** What a certificate's code vouches for. */
export interface CertificateFields {
  readonly certificateId: string
  readonly learnerId: string
  readonly courseId: string
  readonly issuedAt: Date
}

const VERSION = "lectern-certificate-v1"
const MIN_SECRET_LENGTH = 16

/** A new certificate id: 128 random bits in unpadded base64url (22 characters). */
export const newCertificateId = (): string => randomBytes(16).toString("base64url")

/**
 * The canonical serialisation the verification code signs (see the top of this module). Throws on an empty id or an
 * invalid date: those are programming errors, not user input.
 */
export const canonicalCertificate = (fields: CertificateFields): string => {
  const { certificateId, learnerId, courseId, issuedAt } = fields
  for (const [name, value] of [
    ["certificateId", certificateId],
    ["learnerId", learnerId],
    ["courseId", courseId]
  ] as const) {
    if (value.length === 0) throw new Error(`a certificate's ${name} cannot be empty`)
  }
  if (Number.isNaN(issuedAt.getTime())) throw new Error("a certificate's issuedAt must be a valid date")
  return JSON.stringify([VERSION, learnerId, courseId, issuedAt.toISOString(), certificateId])
}

// ---------------------------------------------------------------- verification codes

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
const CODE_SYMBOLS = 28
const GROUP_LENGTH = 4
/** Whitespace, hyphen-minus and the Unicode dashes a copy from a PDF or a word processor may bring. */
const SEPARATORS = /[\s\-\u2010-\u2015\u2212]/gu
const MAX_CODE_INPUT_LENGTH = 100

const grouped = (symbols: string) => (symbols.match(new RegExp(`.{1,${GROUP_LENGTH}}`, "g")) ?? []).join("-")

/** The first `count` 5-bit symbols of `bytes`, most significant bit first. */
const crockfordOf = (bytes: Uint8Array, count: number) => {
  let out = ""
  for (let index = 0; index < count; index++) {
    const bit = index * 5
    const byte = bit >> 3
    const window = ((bytes[byte] ?? 0) << 8) | (bytes[byte + 1] ?? 0)
    out += CROCKFORD[(window >> (11 - (bit & 7))) & 31]
  }
  return out
}

/**
 * The verification code of a certificate, `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX` (see the top of this module). Throws on
 * a secret shorter than 16 characters, and as `canonicalCertificate` does.
 */
export const verificationCode = (options: CertificateFields & { readonly secret: string }): string => {
  const { secret, ...fields } = options
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new Error(`the certificate signing secret must be at least ${MIN_SECRET_LENGTH} characters`)
  }
  const mac = createHmac("sha256", secret).update(canonicalCertificate(fields), "utf8").digest()
  return grouped(crockfordOf(mac, CODE_SYMBOLS))
}

/**
 * A code as a person may type it, in its canonical grouped form; undefined when it cannot be one. Letters may be in
 * either case; spaces and dashes anywhere are ignored; Crockford's look-alikes are read as digits (I and L as 1, O as
 * 0). Anything else (U, other letters or punctuation, the wrong number of symbols) answers undefined.
 */
export const parseVerificationCode = (text: string): string | undefined => {
  if (text.length > MAX_CODE_INPUT_LENGTH) return undefined
  const compact = text.replace(SEPARATORS, "")
  if (!/^[0-9A-Za-z]+$/.test(compact)) return undefined
  const symbols = compact.toUpperCase().replace(/[IL]/g, "1").replace(/O/g, "0")
  if (symbols.length !== CODE_SYMBOLS || ![...symbols].every((symbol) => CROCKFORD.includes(symbol))) {
    return undefined
  }
  return grouped(symbols)
}

/** Whether `code` (as typed: see `parseVerificationCode`) is the code of `fields` under `secret`, in constant time. */
export const codeMatches = (secret: string, fields: CertificateFields, code: string): boolean => {
  const expected = Buffer.from(verificationCode({ secret, ...fields }), "ascii")
  const given = Buffer.from(parseVerificationCode(code) ?? "", "ascii")
  return given.length === expected.length && timingSafeEqual(given, expected)
}

// ---------------------------------------------------------------- text for the standard fonts

/** WinAnsi, the standard fonts' encoding: printable ASCII, Latin-1's upper half, and 27 typographic characters. */
const WIN_ANSI_EXTRAS = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"
const inWinAnsi = (codePoint: number) =>
  (codePoint >= 0x20 && codePoint <= 0x7e) ||
  (codePoint >= 0xa0 && codePoint <= 0xff) ||
  WIN_ANSI_EXTRAS.includes(String.fromCodePoint(codePoint))
/** Letters NFKD does not take apart, by what a reader of Latin script would write instead. */
const TRANSLITERATIONS: Readonly<Record<string, string>> = {
  Ł: "L",
  ł: "l",
  Đ: "D",
  đ: "d",
  Ħ: "H",
  ħ: "h",
  ı: "i",
  Ŧ: "T",
  ŧ: "t",
  Ŋ: "N",
  ŋ: "n",
  ĸ: "k",
  ẞ: "SS"
}
const graphemes = new Intl.Segmenter("en", { granularity: "grapheme" })
const encodable = (text: string) => [...text].every((char) => inWinAnsi(char.codePointAt(0)!))

/**
 * `text` as the standard PDF fonts (WinAnsi) can draw it. Per user-perceived character: kept if WinAnsi has it (é, ß,
 * ø, “ ”, –, €…); otherwise stripped of its accents and transliterated (ś → s, Ł → L, ﬁ → fi, full-width letters to
 * ASCII) when that gives WinAnsi characters; otherwise — Chinese, Cyrillic, emoji, … — replaced by one `?`. Control
 * and invisible formatting characters are dropped, runs of whitespace become one space, and the ends are trimmed.
 */
export const toWinAnsiText = (text: string): string => {
  let out = ""
  for (const { segment } of graphemes.segment(text.normalize("NFC"))) {
    if (/^\s+$/u.test(segment)) out += " "
    else if (/^[\p{Cc}\p{Cf}]+$/u.test(segment)) continue
    else if (encodable(segment)) out += segment
    else {
      const stripped = [...segment.normalize("NFKD").replace(/\p{M}/gu, "")]
        .map((char) => TRANSLITERATIONS[char] ?? char)
        .join("")
      out += stripped.length > 0 && encodable(stripped) ? stripped : "?"
    }
  }
  return out.replace(/\s+/g, " ").trim()
}

// ---------------------------------------------------------------- the PDF

export interface CertificatePdf {
  readonly learnerName: string
  readonly courseTitle: string
  readonly creatorName?: string | undefined
  readonly issuedAt: Date
  /** The verification code, printed as given. */
  readonly code: string
  /** The public verify page; the QR code encodes it exactly. */
  readonly verifyUrl: string
}

/** A4 landscape, in PDF points. */
export const CERTIFICATE_PAGE = { width: 841.89, height: 595.28 } as const
/** Where the QR code sits on the page (points from the bottom-left corner), its 4-module quiet zone included. */
export const CERTIFICATE_QR_BOX = { x: 680, y: 50, size: 112 } as const
const QUIET_MODULES = 4

const INK = rgb(0.11, 0.13, 0.2)
const ACCENT = rgb(0.15, 0.29, 0.55)
const MUTED = rgb(0.4, 0.42, 0.47)
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December"
]

/** `25 November 2026`, the day in UTC. */
const formatDay = (date: Date) => `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`

interface Fitted {
  readonly size: number
  readonly lines: ReadonlyArray<string>
}

/** Greedy word wrap at `size`; a word wider than the line is broken between characters. */
const wrap = (text: string, font: PDFFont, size: number, maxWidth: number): Array<string> => {
  const fits = (line: string) => font.widthOfTextAtSize(line, size) <= maxWidth
  const lines: Array<string> = []
  let line = ""
  for (const word of text.split(" ")) {
    const candidate = line === "" ? word : `${line} ${word}`
    if (fits(candidate)) {
      line = candidate
      continue
    }
    if (line !== "") lines.push(line)
    line = ""
    for (const char of word) {
      if (line !== "" && !fits(line + char)) {
        lines.push(line)
        line = ""
      }
      line += char
    }
  }
  if (line !== "") lines.push(line)
  return lines
}

/** The line cut so that it and a trailing ellipsis fit. */
const ellipsized = (line: string, font: PDFFont, size: number, maxWidth: number) => {
  let kept = line
  while (kept.length > 0 && font.widthOfTextAtSize(`${kept}…`, size) > maxWidth) kept = kept.slice(0, -1)
  return `${kept.trimEnd()}…`
}

/**
 * The largest size from `maxSize` down to `minSize` (1-point steps) at which `text` wraps into `maxLines` lines of
 * `maxWidth`; at `minSize`, the lines beyond `maxLines` are dropped and the last kept line ends with an ellipsis.
 */
const fitText = (
  text: string,
  font: PDFFont,
  box: { readonly maxWidth: number; readonly maxSize: number; readonly minSize: number; readonly maxLines: number }
): Fitted => {
  const { maxWidth, maxSize, minSize, maxLines } = box
  for (let size = maxSize; size > minSize; size--) {
    const lines = wrap(text, font, size, maxWidth)
    if (lines.length <= maxLines) return { size, lines }
  }
  const lines = wrap(text, font, minSize, maxWidth)
  if (lines.length <= maxLines) return { size: minSize, lines }
  const kept = lines.slice(0, maxLines)
  kept[maxLines - 1] = ellipsized(kept[maxLines - 1] ?? "", font, minSize, maxWidth)
  return { size: minSize, lines: kept }
}

const LINE_HEIGHT = 1.2

/** Draws fitted lines centred on `centerX` (or from `left`), the first baseline at `top - size`; returns the bottom. */
const drawLines = (
  page: PDFPage,
  fitted: Fitted,
  font: PDFFont,
  at: { readonly top: number; readonly centerX?: number; readonly left?: number },
  color = INK
) => {
  let baseline = at.top - fitted.size
  for (const line of fitted.lines) {
    const width = font.widthOfTextAtSize(line, fitted.size)
    const x = at.centerX === undefined ? (at.left ?? 0) : at.centerX - width / 2
    page.drawText(line, { x, y: baseline, size: fitted.size, font, color })
    baseline -= fitted.size * LINE_HEIGHT
  }
  return at.top - fitted.size * LINE_HEIGHT * fitted.lines.length
}

/** The QR code of `text` (error correction M) as filled squares, one rectangle per run of dark modules in a row. */
const drawQrCode = (page: PDFPage, text: string) => {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: "M" })
  const { x, y, size } = CERTIFICATE_QR_BOX
  const module = size / (modules.size + 2 * QUIET_MODULES)
  const left = x + QUIET_MODULES * module
  const top = y + size - QUIET_MODULES * module
  const squares = []
  for (let row = 0; row < modules.size; row++) {
    let column = 0
    while (column < modules.size) {
      if (!modules.get(row, column)) {
        column++
        continue
      }
      const start = column
      while (column < modules.size && modules.get(row, column)) column++
      squares.push(rectangle(left + start * module, top - (row + 1) * module, (column - start) * module, module))
    }
  }
  page.pushOperators(pushGraphicsState(), setFillingRgbColor(0, 0, 0), ...squares, fill(), popGraphicsState())
}

/**
 * The certificate as a one-page A4 landscape PDF: title, learner name, course title, creator (when given), date of
 * issue (UTC), verification code, the verify URL and its QR code (vector squares). Text is drawn in the standard
 * Helvetica fonts through `toWinAnsiText`, so any name renders (characters WinAnsi lacks are transliterated or become
 * `?`); the document's metadata (title, subject) keeps the original text. Long names and titles wrap (the name on up
 * to 2 lines, the title on up to 3) and shrink when more lines would be needed; what still does not fit at the
 * smallest size ends with an ellipsis. The same certificate gives the same bytes (the PDF's dates are `issuedAt`).
 * Rejects when `verifyUrl` is too long for a QR code or `issuedAt` is invalid.
 */
export const renderCertificatePdf = async (certificate: CertificatePdf): Promise<Uint8Array> => {
  const { learnerName, courseTitle, creatorName, issuedAt, code, verifyUrl } = certificate
  if (Number.isNaN(issuedAt.getTime())) throw new Error("a certificate's issuedAt must be a valid date")
  const document = await PDFDocument.create({ updateMetadata: false })
  document.setTitle(`Certificate of Completion: ${courseTitle}`)
  document.setSubject(`${learnerName} completed ${courseTitle}`)
  document.setAuthor("Lectern")
  document.setCreator("Lectern")
  document.setProducer("Lectern")
  document.setCreationDate(issuedAt)
  document.setModificationDate(issuedAt)
  const regular = await document.embedFont(StandardFonts.Helvetica)
  const bold = await document.embedFont(StandardFonts.HelveticaBold)
  const italic = await document.embedFont(StandardFonts.HelveticaOblique)
  const { width, height } = CERTIFICATE_PAGE
  const page = document.addPage([width, height])
  const centerX = width / 2
  const column = 620

  page.drawRectangle({ x: 22, y: 22, width: width - 44, height: height - 44, borderColor: ACCENT, borderWidth: 3 })
  page.drawRectangle({ x: 32, y: 32, width: width - 64, height: height - 64, borderColor: ACCENT, borderWidth: 0.75 })

  const line = (text: string, font: PDFFont, size: number, top: number, color = INK) =>
    drawLines(page, { size, lines: [text] }, font, { top, centerX }, color)
  line("LECTERN", bold, 13, height - 62, ACCENT)
  line("Certificate of Completion", bold, 34, height - 92)
  let top = line("This certifies that", regular, 14, height - 152, MUTED) - 8
  const name = fitText(toWinAnsiText(learnerName), bold, { maxWidth: column, maxSize: 30, minSize: 14, maxLines: 2 })
  top = drawLines(page, name, bold, { top, centerX }) - 10
  top = line("has successfully completed the course", regular, 14, top, MUTED) - 8
  const title = fitText(toWinAnsiText(courseTitle), bold, { maxWidth: column, maxSize: 24, minSize: 12, maxLines: 3 })
  top = drawLines(page, title, bold, { top, centerX }, ACCENT) - 6
  if (creatorName !== undefined && toWinAnsiText(creatorName) !== "") {
    const taughtBy = `taught by ${toWinAnsiText(creatorName)}`
    drawLines(page, fitText(taughtBy, italic, { maxWidth: column, maxSize: 13, minSize: 9, maxLines: 1 }), italic, {
      top,
      centerX
    })
  }

  const left = 64
  const leftWidth = CERTIFICATE_QR_BOX.x - left - 24
  drawLines(page, { size: 12, lines: [`Issued on ${formatDay(issuedAt)}`] }, regular, { top: 150, left })
  drawLines(page, { size: 10, lines: ["Verification code"] }, regular, { top: 124, left }, MUTED)
  const printedCode = fitText(toWinAnsiText(code), bold, { maxWidth: leftWidth, maxSize: 16, minSize: 8, maxLines: 1 })
  drawLines(page, printedCode, bold, { top: 110, left })
  const url = fitText(`Verify at ${toWinAnsiText(verifyUrl)}`, regular, {
    maxWidth: leftWidth,
    maxSize: 9,
    minSize: 6,
    maxLines: 2
  })
  drawLines(page, url, regular, { top: 84, left }, MUTED)
  try {
    drawQrCode(page, verifyUrl)
  } catch (cause) {
    throw new Error(`cannot draw the verify URL as a QR code: ${cause instanceof Error ? cause.message : cause}`)
  }
  return document.save()
}
