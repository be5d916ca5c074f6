import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dpclab, tempDir } from "../helpers/cli.js";

const dir = tempDir();
afterAll(() => dir.remove());

describe("dpclab demo (the README's main job)", () => {
  it("authenticates the cards, refuses the revoked card and the wrong PIN, and gets three derived credentials OpenSSL accepts", async () => {
    const r = await dpclab(["demo", "--dir", join(dir.path, "demo")]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout.match(/\bAUTHENTICATED\b/g)?.length).toBe(4);
    expect(r.stdout).toMatch(/after revocation\s+REJECTED revoked/);
    expect(r.stdout).toMatch(/wrong PIN\s+REJECTED pin-incorrect: wrong PIN: 9 tries left/);
    expect(r.stdout).toContain('"invalid-issuer-deleted"');
    for (const [issuer, platform, certs] of [
      ["entrust", "ios", 3],
      ["intercede", "android", 1],
      ["purebred", "ios", 3],
    ] as const) {
      expect(r.stdout).toMatch(new RegExp(`${issuer}\\s+${platform}\\s+[0-9a-f]{16}\\s+2\\.16\\.840\\.1\\.101\\.3\\.2\\.1\\.3\\.40\\s+${certs}\\s+OK`));
    }
  });
});
