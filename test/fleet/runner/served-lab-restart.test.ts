import { describe, expect, it } from "vitest";
import { requireAdminToken } from "../../../emulators/admin/admin-token.js";
import { serve } from "../../../emulators/shared/index.js";
import type { LabStack } from "../../../emulators/stack/index.js";
import { buildSummary, junitXml, runPassed, summaryText } from "../../../fleet/report/index.js";
import { runFleet } from "../../../fleet/runner/index.js";
import { stackLab } from "../../helpers/stack-lab.js";

// Issue 10: a fleet run against a served lab that died and came back exited 0 with every device "expired". The run
// must say what happened to the server, fail, and name the devices' real reasons.
async function servedLab(seed: string) {
  const world = await stackLab({ seed, cards: 4, start: new Date("2026-03-01T10:00:00Z"), stack: { validityDays: 30 } });
  // Two processes' worth of lab on the same files: the second is what a restarted `dpclab serve` holds (nothing in memory).
  const restarted = await world.restart();
  let current: LabStack = world.stack;
  const server = await serve((request) => current.handler(request));
  return { dir: { path: world.lab.root, remove: world.remove }, server, restart: () => (current = restarted) };
}

const options = (url: string, dir: string) =>
  ({ devices: 3, issuer: "entrust", seed: "restart", lifetime: "30d", duration: "40d", transport: "http", url, dir }) as const;

describe("a fleet run against a served lab that goes away", () => {
  it("a restart mid-run (new instance, state lost) is reported, fails the run, and devices fail with their real reason", async () => {
    const s = await servedLab("restart");
    try {
      const r = await runFleet({ ...options(s.server.url, s.dir.path), onProgress: (p) => p.day === 5 && s.restart() });
      expect(r.incidents?.join("\n")).toMatch(/restarted during the run/);
      expect(runPassed(r)).toBe(false);
      expect(buildSummary(r)).toMatchObject({ ok: false, incidents: r.incidents });
      expect(summaryText(r)).toMatch(/LAB SERVER[\s\S]*restarted during the run/);
      expect(junitXml(r)).toMatch(/<testsuite name="lab server" tests="1" failures="1"/);
      // The restarted tenant does not know the devices: their check-ins failed, and that is what the outcome says.
      expect(r.outcome.failed.expired).toBeUndefined();
      expect(Object.keys(r.outcome.failed).every((reason) => reason.startsWith("check-in:"))).toBe(true);
      expect(Object.values(r.outcome.failed).reduce((a, b) => a + b, 0)).toBe(3);
    } finally {
      await s.server.close();
      s.dir.remove();
    }
  });

  it("a server that stays up gives no incident and the same outcome as before", async () => {
    const s = await servedLab("steady");
    try {
      const r = await runFleet({ ...options(s.server.url, s.dir.path), duration: "10d" });
      expect(r.incidents).toBeUndefined();
      expect(runPassed(r)).toBe(true);
      expect(r.outcome).toMatchObject({ devices: 3, enrolled: 3, failed: {} });
      expect(buildSummary(r).incidents).toBeUndefined();
    } finally {
      await s.server.close();
      s.dir.remove();
    }
  });

  it("a server that stops listening mid-run: refused connections are reported and the run fails", async () => {
    const s = await servedLab("refused");
    try {
      let closed: Promise<void> | undefined;
      const r = await runFleet({
        ...options(s.server.url, s.dir.path),
        rideOut: "1s", // waited for, in real time, before the refusals count
        onProgress: (p) => {
          if (p.day === 5) closed ??= s.server.close();
        },
      });
      expect(r.incidents?.join("\n")).toMatch(/refused \d+ connection/);
      expect(runPassed(r)).toBe(false);
      expect(r.outcome.failed).toEqual({ "check-in:connection-refused": 3 });
      await closed;
    } finally {
      s.dir.remove();
    }
  });

  it("a lab served beyond loopback (admin token required): the run sends DPCLAB_ADMIN_TOKEN, and says so when it is missing", async () => {
    const world = await stackLab({ seed: "token", cards: 4, start: new Date("2026-03-01T10:00:00Z") });
    const token = "TEST-admin-token-0123456789";
    const server = await serve(requireAdminToken(world.stack.handler, token));
    const saved = process.env.DPCLAB_ADMIN_TOKEN;
    try {
      delete process.env.DPCLAB_ADMIN_TOKEN;
      await expect(runFleet({ ...options(server.url, world.lab.root), duration: "3d" })).rejects.toThrow(/needs Authorization: Bearer/);
      process.env.DPCLAB_ADMIN_TOKEN = token;
      const r = await runFleet({ ...options(server.url, world.lab.root), duration: "3d" });
      expect(r.outcome).toMatchObject({ devices: 3, enrolled: 3, failed: {} });
      expect(r.incidents).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.DPCLAB_ADMIN_TOKEN;
      else process.env.DPCLAB_ADMIN_TOKEN = saved;
      await server.close();
      world.remove();
    }
  });
});
