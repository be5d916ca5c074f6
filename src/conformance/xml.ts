// XML 1.0 forbids these control characters even escaped: certificate text from other issuers may contain them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching exactly the characters XML forbids, to drop them
const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

/** Text fit for an XML attribute or element: escaped, and without the characters XML cannot carry. */
export function escapeXml(text: string): string {
  return text.replace(FORBIDDEN, "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}
