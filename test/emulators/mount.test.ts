import { describe, expect, it } from "vitest";
import { type FetchHandler, inProcessFetch, mount, router } from "../../emulators/shared/index.js";

// mount() combines the lab's emulators: a path one of them claims goes to it alone (its own answers, 404s included,
// and the request itself, not a clone); a path several may answer is tried in order as before.

const seen: Request[] = [];
const tenant = router([
  {
    method: "POST",
    path: "/tenant/devices/:id/checkIn",
    handle: async (req, p) => {
      seen.push(req);
      if (p.id !== "d1") return Response.json({ code: "not-found", detail: `no managed device with id ${p.id}` }, { status: 404 });
      return Response.json({ checkedIn: p.id, body: await req.text() });
    },
  },
]);
const issuer = router([{ method: "GET", path: "/issuers/intercede/poll", handle: () => Response.json({ due: false }) }]);
/** A handler that cannot say which paths it answers (no claims): always asked, after the claimants. */
const legacy: FetchHandler = async (req) =>
  new URL(req.url).pathname === "/legacy" ? Response.json({ legacy: true }) : Response.json({ detail: "legacy 404" }, { status: 404 });

const f = inProcessFetch(mount(tenant, issuer, legacy));
const json = async (path: string, init?: RequestInit) => {
  const res = await f(path, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe("mount: routing by the paths each emulator claims", () => {
  it("hands the claimant the request itself, body unread", async () => {
    seen.length = 0;
    expect(await json("/tenant/devices/d1/checkIn", { method: "POST", headers: { "content-type": "application/json" }, body: '{"x":1}' })).toEqual({
      status: 200,
      body: { checkedIn: "d1", body: '{"x":1}' },
    });
    expect(seen).toHaveLength(1);
  });

  it("keeps the claimant's own 404 (its problem detail), instead of the last handler's generic one", async () => {
    const r = await json("/tenant/devices/zz/checkIn", { method: "POST", body: "{}" });
    expect(r.status).toBe(404);
    expect(r.body.detail).toBe("no managed device with id zz");
  });

  it("asks handlers without claims too, and answers 405 for a claimed path with the wrong method", async () => {
    expect(await json("/legacy")).toEqual({ status: 200, body: { legacy: true } });
    expect((await json("/issuers/intercede/poll", { method: "DELETE" })).status).toBe(405);
    expect((await json("/issuers/intercede/poll")).body).toEqual({ due: false });
  });

  it("a path nobody claims ends at the last handler asked (404)", async () => {
    expect(await json("/nowhere")).toEqual({ status: 404, body: { detail: "legacy 404" } });
  });
});
