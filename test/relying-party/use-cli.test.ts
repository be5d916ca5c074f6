import { execFileSync } from "node:child_process";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dpclab } from "../helpers/cli.js";
import { missingFor, type ServedLab, servedLab } from "./served-lab.js";

// Issue 13: `dpclab use` exits 0 accepted, 1 refused (with the reason), 2 on bad input; bad input is one line, no
// stack trace, and no relying-party process left. `dpclab credentials revoke` revokes one derived credential.
let lab: ServedLab;

beforeAll(async () => {
  lab = await servedLab("use-cli");
}, 60_000);
afterAll(async () => {
  await lab?.stop();
});

function relyingPartyProcesses(): string[] {
  const ps = execFileSync("ps", ["-eo", "pid=,args="]).toString("utf8");
  return ps.split("\n").filter((l) => l.includes(`${lab.dir}/relying-parties`));
}

const oneLine = (stderr: string) => {
  const lines = stderr.trim().split("\n");
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at |internal error/);
  return lines[0];
};

const missing = missingFor("app");
describe.skipIf(missing)(`dpclab use${missing ? ` — skipped: ${missing}` : ""}`, () => {
  it("app: exit 0 with nginx's HTTP 200 for a fresh credential (--json)", async () => {
    const r = await dpclab(["use", "app", "--dir", lab.dir, "--credential", lab.fresh, "--json"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const verdict = JSON.parse(r.stdout);
    expect(verdict).toMatchObject({ kind: "app", accepted: true, reason: "accepted" });
    expect(verdict.line).toMatch(/^HTTP 200/);
    expect(relyingPartyProcesses()).toEqual([]);
  });

  it("app: exit 1 and the reason for a revoked credential", async () => {
    const r = await dpclab(["use", "app", "--dir", lab.dir, "--credential", lab.revoked]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^app: refused \(revoked\) in \d+ ms by nginx/);
    expect(r.stdout).toMatch(/HTTP 400 — nginx: client SSL certificate verify error: certificate revoked/);
    expect(relyingPartyProcesses()).toEqual([]);
  });

  it("bad input: one clear line, exit 2, nothing left running", async () => {
    const mismatched = join(lab.dir, "..", "mismatched");
    cpSync(lab.fresh, mismatched, { recursive: true });
    writeFileSync(join(mismatched, "derived-piv-auth.key.pem"), readFileSync(join(lab.revoked, "derived-piv-auth.key.pem")));
    const notACert = join(lab.dir, "..", "not-a-cert");
    cpSync(lab.fresh, notACert, { recursive: true });
    writeFileSync(join(notACert, "derived-piv-auth.pem"), readFileSync(join(lab.fresh, "derived-piv-auth.key.pem")));
    const noKey = join(lab.dir, "..", "no-key");
    cpSync(lab.fresh, noKey, { recursive: true });
    rmSync(join(noKey, "derived-piv-auth.key.pem"));
    const android = join(lab.dir, "..", "android-like");
    cpSync(lab.fresh, android, { recursive: true });
    for (const f of ["derived-signing.pem", "derived-signing.key.pem", "derived-encryption.pem", "derived-encryption.key.pem"]) rmSync(join(android, f));
    const cases: [string[], RegExp][] = [
      [["use", "smime", "--dir", lab.dir, "--credential", android], /has no S\/MIME signing certificate \(derived-signing.pem\): S\/MIME is iOS only/],
      [["use", "email", "--dir", lab.dir, "--credential", lab.fresh], /unknown relying party "email" \(wifi, vpn, app, smime\)/],
      [["use", "app", "--dir", lab.dir], /--credential/],
      [["use", "app", "--dir", lab.dir, "--credential", join(lab.dir, "nowhere")], /no credential directory/],
      [["use", "wifi", "--dir", lab.dir, "--credential", mismatched], /derived-piv-auth.key.pem is not the key of derived-piv-auth.pem: mismatched/],
      [["use", "vpn", "--dir", lab.dir, "--credential", notACert], /derived-piv-auth.pem: not a PEM certificate \(it holds a PRIVATE KEY\)/],
      [["use", "app", "--dir", lab.dir, "--credential", noKey], /has no derived-piv-auth.key.pem/],
      [["use", "vpn", "--dir", lab.dir, "--credential", lab.fresh, "--vpn-status", "ldap"], /--vpn-status must be crl or ocsp/],
      [["use", "app", "--dir", join(lab.dir, "no-lab"), "--credential", lab.fresh], /no lab in/],
    ];
    for (const [args, message] of cases) {
      const r = await dpclab(args);
      expect(r.code, `${args.join(" ")}: ${r.stdout}${r.stderr}`).toBe(2);
      expect(oneLine(r.stderr)).toMatch(message);
    }
    expect(relyingPartyProcesses()).toEqual([]);
  });
});

describe("dpclab credentials revoke", () => {
  it("a revoked credential is reported as already revoked (exit 0)", async () => {
    const r = await dpclab(["credentials", "revoke", "--dir", lab.dir, "--serial", lab.revokedSerial]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/already revoked/);
  });

  it("refuses what it cannot revoke with one line", async () => {
    const deck = JSON.parse(readFileSync(join(lab.dir, "cards", "deck.json"), "utf8")) as { certificates: Record<string, string> }[];
    const cardSerial = Object.values(deck[0]?.certificates ?? {})[0] as string;
    const cases: [string[], number, RegExp][] = [
      [["credentials", "revoke", "--dir", lab.dir, "--serial", "abc123"], 1, /no CA of the lab at .* issued serial abc123/],
      [["credentials", "revoke", "--dir", lab.dir, "--serial", cardSerial], 2, /not a derived PIV Authentication certificate: use dpclab cards revoke/],
      [["credentials", "revoke", "--dir", lab.dir, "--serial", "xyz"], 2, /--serial must be/],
      [["credentials", "revoke", "--dir", lab.dir, "--serial", lab.revokedSerial, "--reason", "superseded"], 2, /keyCompromise/],
      [["credentials", "revoke", "--dir", lab.dir], 2, /--serial/],
      [["credentials", "revoke", "--dir", lab.dir, "--serial", "abc", "--url", "http://127.0.0.1:1"], 1, /no lab answers at http:\/\/127.0.0.1:1/],
      [["credentials", "list", "--dir", lab.dir], 2, /unknown credentials command "list"/],
    ];
    for (const [args, code, message] of cases) {
      const r = await dpclab(args);
      expect(r.code, `${args.join(" ")}: ${r.stdout}${r.stderr}`).toBe(code);
      expect(oneLine(r.stderr)).toMatch(message);
    }
  });
});
