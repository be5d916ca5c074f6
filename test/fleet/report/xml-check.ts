/** A tiny XML well-formedness checker and tree builder for tests (no dependency): enough for junit.xml. */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = "[A-Za-z_:][A-Za-z0-9_:.-]*";
const ENTITY = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9A-Fa-f]+);/g;
const TOKEN = new RegExp(`<\\?xml[^?]*\\?>|<!--[\\s\\S]*?-->|<(/?)(${NAME})((?:\\s+${NAME}\\s*=\\s*(?:"[^"<]*"|'[^'<]*'))*)\\s*(/?)>|[^<]+|<`, "y");
const ATTR = new RegExp(`(${NAME})\\s*=\\s*(?:"([^"<]*)"|'([^'<]*)')`, "g");
// biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 forbids exactly these
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;

function decode(raw: string, where: string): string {
  if (FORBIDDEN.test(raw)) throw new Error(`control character in ${where}`);
  if (raw.replace(ENTITY, "").includes("&")) throw new Error(`bare & in ${where}: ${raw}`);
  return raw
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&amp;/g, "&");
}

/** Parses `xml`, throwing on anything not well-formed; returns the root element. */
export function parseXml(xml: string): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < xml.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(xml);
    if (!m || m[0] === "<") throw new Error(`malformed markup at offset ${at}: ${xml.slice(at, at + 40)}`);
    const [token, close, name, attrText, selfClose] = m;
    if (token.startsWith("<?xml")) {
      if (at !== 0) throw new Error("XML declaration not at start");
    } else if (token.startsWith("<!--")) {
      // comment
    } else if (name === undefined) {
      if (stack.length === 0) {
        if (token.trim()) throw new Error(`text outside the root element: ${token.trim().slice(0, 40)}`);
      } else stack.at(-1)!.text += decode(token, `text of <${stack.at(-1)!.name}>`);
    } else if (close) {
      const open = stack.pop();
      if (open?.name !== name) throw new Error(`</${name}> closes <${open?.name}>`);
    } else {
      const attrs: Record<string, string> = {};
      for (const a of (attrText ?? "").matchAll(ATTR)) {
        if (a[1]! in attrs) throw new Error(`duplicate attribute ${a[1]}`);
        attrs[a[1]!] = decode(a[2] ?? a[3] ?? "", `attribute ${a[1]}`);
      }
      const el: XmlElement = { name, attrs, children: [], text: "" };
      if (stack.length) stack.at(-1)!.children.push(el);
      else if (root) throw new Error("more than one root element");
      else root = el;
      if (!selfClose) stack.push(el);
    }
  }
  if (stack.length) throw new Error(`<${stack.at(-1)!.name}> is never closed`);
  if (!root) throw new Error("no root element");
  return root;
}

export function findAll(el: XmlElement, name: string): XmlElement[] {
  return [...(el.name === name ? [el] : []), ...el.children.flatMap((c) => findAll(c, name))];
}
