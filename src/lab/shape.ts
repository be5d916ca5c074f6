/**
 * Shape checks for the lab's JSON files: each turns an `unknown` from JSON.parse into a typed value or throws
 * CorruptLabFile saying where and what is wrong ("cards[3].pin must be a string"). readJson adds the file's name.
 * Objects keyed by outside strings come back with a null prototype, so "__proto__" or "constructor" stay data.
 */
export type Shape<T> = (value: unknown, at?: string) => T;

/** A lab file's content is not what it must be; readJson turns this into a one-line DpclabError naming the file. */
export class CorruptLabFile extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CorruptLabFile";
  }
}

const where = (at: string | undefined) => at ?? "the content";

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)?.slice(0, 40)}`;
}

function fail(at: string | undefined, must: string, value: unknown): never {
  if (value === undefined) throw new CorruptLabFile(`${where(at)} is missing (must be ${must})`);
  throw new CorruptLabFile(`${where(at)} must be ${must}, not ${describe(value)}`);
}

export const string: Shape<string> = (v, at) => (typeof v === "string" ? v : fail(at, "a string", v));

export function integer(min: number, max = Number.MAX_SAFE_INTEGER): Shape<number> {
  return (v, at) => (Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max ? (v as number) : fail(at, `a whole number from ${min} to ${max}`, v));
}

export function oneOf<const V extends string | number>(...values: V[]): Shape<V> {
  return (v, at) => (values.includes(v as V) ? (v as V) : fail(at, `one of ${values.map((x) => JSON.stringify(x)).join(", ")}`, v));
}

export function arrayOf<T>(item: Shape<T>): Shape<T[]> {
  return (v, at) => {
    if (!Array.isArray(v)) fail(at, "an array", v);
    return v.map((x, i) => item(x, `${at ?? ""}[${i}]`));
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An object with these fields (each required unless its shape accepts undefined); other fields are kept as they are. */
export function object<T extends object>(fields: { [K in keyof T]: Shape<T[K]> }): Shape<T> {
  return (v, at) => {
    if (!isObject(v)) fail(at, "an object", v);
    const out: Record<string, unknown> = { ...v };
    for (const [key, shape] of Object.entries(fields) as [string, Shape<unknown>][]) {
      const value = Object.hasOwn(v, key) ? v[key] : undefined;
      const checked = shape(value, at ? `${at}.${key}` : key);
      if (checked !== undefined) out[key] = checked;
    }
    return out as T;
  };
}

/** An object used as a map from outside strings (serials, card ids) to values: returned with a null prototype. */
export function recordOf<T>(value: Shape<T>): Shape<Record<string, T>> {
  return (v, at) => {
    if (!isObject(v)) fail(at, "an object", v);
    const out = Object.create(null) as Record<string, T>;
    for (const [key, x] of Object.entries(v)) out[key] = value(x, `${at ?? ""}[${JSON.stringify(key)}]`);
    return out;
  };
}

export function optional<T>(shape: Shape<T>): Shape<T | undefined> {
  return (v, at) => (v === undefined ? undefined : shape(v, at));
}

/** Any JSON value (fields a file carries that this reader does not interpret). */
export const anything: Shape<unknown> = (v) => v;
