import { DpclabError } from "../../src/errors.js";

/**
 * How deep a JSON body may nest. No emulator message goes past 4 levels; a body 50,000 deep parses (V8's JSON.parse
 * does not recurse) but then overflows the stack of whatever walks it (String() of a nested array, JSON.stringify,
 * structuredClone), which answered 500. Refused at the door instead: 400.
 */
export const MAX_JSON_DEPTH = 64;

/** Content types whose bodies are JSON (application/json, application/*+json). */
const JSON_TYPE = /^application\/([a-z0-9.!#$&^_-]*\+)?json\s*(;|$)/i;

export function isJsonContentType(type: string | null | undefined): boolean {
  return typeof type === "string" && JSON_TYPE.test(type.trim());
}

/**
 * Whether JSON text (a string or its UTF-8 bytes) opens more than `limit` arrays/objects inside one another. One pass,
 * no parse: brackets inside strings do not count. The ASCII code units looked at never occur inside a UTF-8 sequence,
 * so bytes and text give the same answer.
 */
export function jsonNestsDeeperThan(text: string | Uint8Array, limit = MAX_JSON_DEPTH): boolean {
  const at: (i: number) => number = typeof text === "string" ? (i) => text.charCodeAt(i) : (i) => text[i] as number;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = at(i);
    if (inString) {
      // A backslash escapes the next unit.
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** The refusal of a body nested too deep (400), for every reader of JSON in the lab. */
export function tooDeepJson(): DpclabError {
  return new DpclabError(`the JSON body nests deeper than ${MAX_JSON_DEPTH} levels`, "json-too-deep", 400);
}

/** JSON.parse for text from outside: invalid JSON or nesting past MAX_JSON_DEPTH is a 400 DpclabError. */
export function parseJsonText(text: string): unknown {
  if (jsonNestsDeeperThan(text)) throw tooDeepJson();
  try {
    return JSON.parse(text);
  } catch {
    throw new DpclabError("the body is not valid JSON", "bad-json", 400);
  }
}

/**
 * Reads a JSON object body: wrong content type → 415, unparsable, too deep or not an object → 400, a property outside
 * `allowed` → 400 naming it (a typo in a property name must not be silently ignored). The object has no prototype:
 * its keys come from outside, and `body.constructor` or `body.toString` must read as absent, not as Object's.
 */
export async function readJsonObject(request: Request, allowed?: readonly string[]): Promise<Record<string, unknown>> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/([a-z.+-]*\+)?json\b/i.test(type)) {
    throw new DpclabError(`send a JSON body (content-type application/json; got "${type || "none"}")`, "bad-content-type", 415);
  }
  const body = parseJsonText(await request.text());
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new DpclabError("the body must be a JSON object", "bad-json", 400);
  if (allowed) {
    const unknown = Object.keys(body).filter((k) => !allowed.includes(k) && !k.startsWith("@odata."));
    if (unknown.length)
      throw new DpclabError(
        `unknown propert${unknown.length > 1 ? "ies" : "y"}: ${unknown
          .slice(0, 10)
          .map((k) => k.slice(0, 64))
          .join(", ")}${unknown.length > 10 ? ", …" : ""} (allowed: ${allowed.join(", ")})`,
        "unknown-property",
        400,
      );
  }
  return Object.assign(Object.create(null) as Record<string, unknown>, body);
}
