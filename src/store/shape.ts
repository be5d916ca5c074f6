/**
 * Shape checks for the lab's JSON files: each turns an `unknown` from JSON.parse into a typed value or throws
 * CorruptLabFile saying where and what is wrong ("[3].pin must be a string"). readJson adds the file's name.
 * Objects keyed by outside strings come back with a null prototype, so "__proto__" or "constructor" stay data.
 * The path of a fault is only built while the error travels up: a good file costs no string work (a deck or the PIN
 * counters of thousands of cards are checked on every read).
 */
export type Shape<T> = (value: unknown) => T;

/** A lab file's content is not what it must be; readJson turns this into a one-line DpclabError naming the file. */
export class CorruptLabFile extends Error {
  /** Where, outermost first: ".registries", "[\"root\"]", "[3]", ".pin". */
  readonly path: string[] = [];

  constructor(readonly what: string) {
    super(what);
    this.name = "CorruptLabFile";
  }

  /** Where and what, e.g. `registries["root"].issued must be an object, not an array`. */
  explain(): string {
    const at = this.path.join("").replace(/^\./, "");
    return at ? `${at} ${this.what}` : `the content ${this.what}`;
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)?.slice(0, 40)}`;
}

function fail(must: string, value: unknown): never {
  throw new CorruptLabFile(value === undefined ? `is missing (must be ${must})` : `must be ${must}, not ${describe(value)}`);
}

export const string: Shape<string> = (v) => (typeof v === "string" ? v : fail("a string", v));

export function integer(min: number, max = Number.MAX_SAFE_INTEGER): Shape<number> {
  return (v) => (Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max ? (v as number) : fail(`a whole number from ${min} to ${max}`, v));
}

export function oneOf<const V extends string | number>(...values: V[]): Shape<V> {
  return (v) => (values.includes(v as V) ? (v as V) : fail(`one of ${values.map((x) => JSON.stringify(x)).join(", ")}`, v));
}

export function arrayOf<T>(item: Shape<T>): Shape<T[]> {
  return (v) => {
    if (!Array.isArray(v)) fail("an array", v);
    const out = new Array<T>(v.length);
    for (let i = 0; i < v.length; i++) {
      try {
        out[i] = item(v[i]);
      } catch (e) {
        if (e instanceof CorruptLabFile) e.path.unshift(`[${i}]`);
        throw e;
      }
    }
    return out;
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * An object with these fields (each required unless its shape accepts undefined); other fields are kept as they are.
 * Returns the parsed object itself, with checked (possibly rebuilt) field values.
 */
export function object<T extends object>(fields: { [K in keyof T]: Shape<T[K]> }): Shape<T> {
  const entries = Object.entries(fields) as [string, Shape<unknown>][];
  return (v) => {
    if (!isObject(v)) fail("an object", v);
    for (const [key, shape] of entries) {
      const value = Object.hasOwn(v, key) ? v[key] : undefined;
      let checked: unknown;
      try {
        checked = shape(value);
      } catch (e) {
        if (e instanceof CorruptLabFile) e.path.unshift(`.${key}`);
        throw e;
      }
      if (checked !== value) v[key] = checked;
    }
    return v as T;
  };
}

/** An object used as a map from outside strings (serials, card ids) to values: returned with a null prototype. */
export function recordOf<T>(value: Shape<T>): Shape<Record<string, T>> {
  return (v) => {
    if (!isObject(v)) fail("an object", v);
    const out = Object.create(null) as Record<string, T>;
    for (const key of Object.keys(v)) {
      try {
        out[key] = value(v[key]);
      } catch (e) {
        if (e instanceof CorruptLabFile) e.path.unshift(`[${JSON.stringify(key)}]`);
        throw e;
      }
    }
    return out;
  };
}

/** Any JSON value (fields a file carries that this reader does not interpret). */
export const anything: Shape<unknown> = (v) => v;
