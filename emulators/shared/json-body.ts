import { DpclabError } from "../../src/errors.js";

/**
 * Reads a JSON object body: wrong content type → 415, unparsable or not an object → 400, a property outside
 * `allowed` → 400 naming it (a typo in a property name must not be silently ignored).
 */
export async function readJsonObject(request: Request, allowed?: readonly string[]): Promise<Record<string, unknown>> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/([a-z.+-]*\+)?json\b/i.test(type)) {
    throw new DpclabError(`send a JSON body (content-type application/json; got "${type || "none"}")`, "bad-content-type", 415);
  }
  let body: unknown;
  try {
    body = JSON.parse(await request.text());
  } catch {
    throw new DpclabError("the body is not valid JSON", "bad-json", 400);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new DpclabError("the body must be a JSON object", "bad-json", 400);
  if (allowed) {
    const unknown = Object.keys(body).filter((k) => !allowed.includes(k) && !k.startsWith("@odata."));
    if (unknown.length)
      throw new DpclabError(
        `unknown propert${unknown.length > 1 ? "ies" : "y"}: ${unknown.join(", ")} (allowed: ${allowed.join(", ")})`,
        "unknown-property",
        400,
      );
  }
  return body as Record<string, unknown>;
}
