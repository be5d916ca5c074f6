import { DpclabError } from "../../src/errors.js";

/**
 * Strict readers for client-supplied JSON. Every bad value is a DpclabError with a 4xx status that names the
 * property, so the handler answers problem+json and nothing is stored.
 */
export type JsonObject = Record<string, unknown>;

export function bad(message: string, code = "invalid-property"): DpclabError {
  return new DpclabError(message, code, 400);
}

export function asObject(value: unknown, what: string): JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad(`${what} must be a JSON object`, "not-an-object");
  return value as JsonObject;
}

/** Unknown property names are refused, naming them (a typo must not be silently ignored). */
export function onlyKnown(body: JsonObject, known: readonly string[], what: string): void {
  const unknown = Object.keys(body).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    throw bad(
      `unknown propert${unknown.length === 1 ? "y" : "ies"} ${unknown.map((k) => `"${k}"`).join(", ")} on ${what} (allowed: ${known.join(", ")})`,
      "unknown-property",
    );
  }
}

/** Server-assigned properties may not be written. */
export function notWritable(body: JsonObject, readOnly: readonly string[], what: string): void {
  const found = readOnly.filter((k) => k in body);
  if (found.length > 0) throw bad(`${found.map((k) => `"${k}"`).join(", ")} on ${what} ${found.length === 1 ? "is" : "are"} read-only`, "read-only-property");
}

export function str(body: JsonObject, key: string, opts: { required?: boolean; nonEmpty?: boolean; max?: number } = {}): string | undefined {
  const value = body[key];
  if (value === undefined) {
    if (opts.required) throw bad(`"${key}" is required`, "missing-property");
    return undefined;
  }
  if (typeof value !== "string") throw bad(`"${key}" must be a string`);
  if ((opts.nonEmpty || opts.required) && value.trim() === "") throw bad(`"${key}" must not be empty`);
  if (value.length > (opts.max ?? 1024)) throw bad(`"${key}" is longer than ${opts.max ?? 1024} characters`);
  return value;
}

export function bool(body: JsonObject, key: string, opts: { required?: boolean } = {}): boolean | undefined {
  const value = body[key];
  if (value === undefined) {
    if (opts.required) throw bad(`"${key}" is required`, "missing-property");
    return undefined;
  }
  if (typeof value !== "boolean") throw bad(`"${key}" must be true or false`);
  return value;
}

export function oneOf<T extends string>(body: JsonObject, key: string, allowed: readonly T[], opts: { required?: boolean } = {}): T | undefined {
  const value = str(body, key, opts);
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) throw bad(`"${key}" must be one of ${allowed.join(", ")} (got "${value}")`, "invalid-enum-value");
  return value as T;
}

/** An ISO 8601 instant with an explicit zone, e.g. 2026-01-01T00:00:00Z. */
export function instant(body: JsonObject, key: string): Date {
  const value = str(body, key, { required: true }) as string;
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) || Number.isNaN(date.getTime())) {
    throw bad(`"${key}" must be an ISO 8601 date-time with a zone, e.g. 2026-01-01T00:00:00Z (got "${value}")`);
  }
  return date;
}

/** Strict standard base64 (no whitespace, correct padding), decoded. */
export function base64(body: JsonObject, key: string): Buffer {
  const value = str(body, key, { required: true, max: 64 * 1024 }) as string;
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(value)) throw bad(`"${key}" must be standard base64`);
  return Buffer.from(value, "base64");
}

/** The "@odata.type" of a Graph entity: optional, but when present it must name the expected type. */
export function odataTypeIs(body: JsonObject, expected: string): void {
  const value = body["@odata.type"];
  if (value !== undefined && value !== `#microsoft.graph.${expected}`) {
    throw bad(`"@odata.type" must be "#microsoft.graph.${expected}" (got ${JSON.stringify(value)})`, "invalid-odata-type");
  }
}
