import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BufferedRequest } from "../../emulators/shared/buffered-request.js";
import { propertySeed } from "../helpers/fast-check-seed.js";

// The in-process transport hands handlers an BufferedRequest; over a socket they get a real Request. Whatever a
// handler can observe must be the same for both.

const { params } = propertySeed("buffered-request");
const URL_ = new URL("http://dpclab.invalid/issuers/intercede/device/credentials/x/rekey?a=1");

async function observe(make: () => Request | BufferedRequest | undefined) {
  let r: Request | BufferedRequest | undefined;
  try {
    r = make();
  } catch (e) {
    return { threw: (e as Error).name };
  }
  if (!r) return { unsupported: true };
  const seen = {
    url: r.url,
    method: r.method,
    headers: [...r.headers.entries()],
    text: await r.clone().text(),
    bytes: [...new Uint8Array(await r.clone().arrayBuffer())],
  };
  await r.text();
  let second: string;
  try {
    await r.text();
    second = "read again";
  } catch (e) {
    second = (e as Error).name;
  }
  return { ...seen, bodyUsed: r.bodyUsed, second };
}

const methods = fc.constantFrom("GET", "get", "POST", "post", "Put", "DELETE", "PATCH", "patch", "HEAD", "OPTIONS", "trace", "CONNECT");
const bodies = fc.oneof(
  fc.constant(undefined),
  fc.string(),
  fc.json(),
  fc.uint8Array({ maxLength: 64 }),
  fc.uint8Array({ maxLength: 64 }).map((b) => b.buffer as ArrayBuffer),
);
const headers = fc.dictionary(fc.constantFrom("accept", "content-type", "x-dpclab-client", "authorization"), fc.stringMatching(/^[a-z0-9/;=+ -]{0,20}$/), {
  maxKeys: 3,
});

describe("BufferedRequest behaves as a Request for everything a handler reads", () => {
  it("same url, method, headers, body bytes and text, single read, or the same refusal (property)", async () => {
    await fc.assert(
      fc.asyncProperty(methods, bodies, headers, async (method, body, hs) => {
        const init: RequestInit = { method, headers: hs, ...(body !== undefined ? { body } : {}) };
        const real = await observe(() => new Request(URL_, init));
        const light = await observe(() => BufferedRequest.from(URL_, init));
        expect(light).toEqual(real);
      }),
      params(300),
    );
  });

  it("parses a JSON body as Request.json does, and refuses what it refuses", async () => {
    for (const body of ['{"a":1,"b":[true,null]}', "[1,2]", "not json", ""]) {
      const real = await new Request(URL_, { method: "POST", body }).json().then(
        (v) => ({ v }),
        (e: Error) => ({ e: e.name }),
      );
      const light = await BufferedRequest.from(URL_, { method: "POST", body })!
        .json()
        .then(
          (v) => ({ v }),
          (e: Error) => ({ e: e.name }),
        );
      expect(light).toEqual(real);
    }
  });

  it("leaves streams and forms to a real Request", () => {
    expect(BufferedRequest.from(URL_, { method: "POST", body: new URLSearchParams({ a: "1" }) })).toBeUndefined();
    expect(BufferedRequest.from(URL_, { method: "POST", body: new Blob(["x"]) })).toBeUndefined();
  });

  it("takes a copy of a byte body: changing the caller's array later does not change the request", async () => {
    const bytes = Uint8Array.of(1, 2, 3);
    const r = BufferedRequest.from(URL_, { method: "POST", body: bytes })!;
    bytes[0] = 9;
    expect([...new Uint8Array(await r.arrayBuffer())]).toEqual([1, 2, 3]);
  });
});
