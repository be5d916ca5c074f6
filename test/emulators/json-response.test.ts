import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JsonResponse } from "../../emulators/shared/index.js";
import { propertySeed } from "../helpers/fast-check-seed.js";

// Handlers answer JSON with JsonResponse.of (no body stream); whatever a client reads must be what Response.json gives.

const { params } = propertySeed("json-response");

async function observe(make: () => Response) {
  let r: Response;
  try {
    r = make();
  } catch (e) {
    return { threw: (e as Error).name };
  }
  const copy = r.clone();
  const seen = {
    status: r.status,
    statusText: r.statusText,
    ok: r.ok,
    headers: [...r.headers.entries()],
    json: await r.clone().json(),
    bytes: [...new Uint8Array(await copy.arrayBuffer())],
    text: await r.text(),
    bodyUsed: r.bodyUsed,
  };
  const again = await r.text().then(
    () => "read again",
    (e: Error) => e.name,
  );
  return { ...seen, again };
}

describe("JsonResponse.of answers as Response.json does", () => {
  it("same status, ok, headers, JSON, bytes and text, single read; the same refusals (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue(),
        fc.option(fc.integer({ min: 100, max: 700 }), { nil: undefined }),
        fc.dictionary(fc.constantFrom("content-type", "retry-after", "cache-control"), fc.stringMatching(/^[a-z0-9/+;= -]{1,16}$/), { maxKeys: 2 }),
        async (data, status, headers) => {
          const init: ResponseInit = { headers, ...(status !== undefined ? { status } : {}) };
          expect(await observe(() => JsonResponse.of(data, init))).toEqual(await observe(() => Response.json(data, init)));
        },
      ),
      params(300),
    );
  });

  it("offers its body as a stream too (a retrying client cancels it)", async () => {
    const r = JsonResponse.of({ a: 1 }, { status: 503 });
    const text = await new Response(r.body).text();
    expect(text).toBe('{"a":1}');
    expect(r.bodyUsed).toBe(true);
    await JsonResponse.of({}).body.cancel();
  });

  it("refuses what is not JSON as Response.json does", () => {
    expect(() => JsonResponse.of(undefined)).toThrow(TypeError);
    expect(() => Response.json(undefined)).toThrow(TypeError);
  });
});
