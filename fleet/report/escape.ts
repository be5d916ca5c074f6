/** Characters XML 1.0 forbids even when escaped; dropping them keeps the document well-formed whatever a reason says. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters being removed
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Escapes text for XML or HTML content and attribute values (both quote styles). */
export function escapeXml(text: unknown): string {
  return String(text)
    .replace(FORBIDDEN, "\uFFFD")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** HTML uses the same escaping (&apos; is valid HTML5). */
export const escapeHtml = escapeXml;
