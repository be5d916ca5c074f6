import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CardIssuer, createCards } from "../../../emulators/piv-ca/index.js";
import { serve } from "../../../emulators/shared/index.js";
import { createLabStack } from "../../../emulators/stack/index.js";
import { SERIES } from "../../../fleet/metrics/index.js";
import { buildSummary, reportHtml, stepStats, validateSummary } from "../../../fleet/report/index.js";
import { runFleet } from "../../../fleet/runner/index.js";
import { VirtualClock } from "../../../src/clock.js";
import { LabDir } from "../../../src/lab/index.js";
import { dpclab, tempDir } from "../../helpers/cli.js";
import { findAll, parseXml } from "../report/xml-check.js";

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
const accounted = (o: { devices: number; enrolled: number; renewed: number; failed: Record<string, number>; retired: Record<string, number> }) =>
  o.enrolled + o.renewed + sum(o.failed) + sum(o.retired);

describe("fleet runner", () => {
  it("24 devices, both platforms, all three issuers, 400 simulated days: every device accounted for, renewals done", async () => {
    const r = await runFleet({ devices: 24, issuer: "mixed", seed: "runner-24" });
    const o = r.outcome;
    expect(o.devices).toBe(24);
    expect(accounted(o)).toBe(24);
    expect(o.failed).toEqual({});
    expect(o.renewed).toBeGreaterThan(0);
    expect(o.counts.ios).toBeGreaterThan(0);
    expect(o.counts.android).toBeGreaterThan(0);
    for (const issuer of ["purebred", "entrust", "intercede"]) expect(o.counts[`issuer:${issuer}`]).toBeGreaterThan(0);
    expect(o.counts["profiles:failed"]).toBeUndefined();
    expect(Object.values(r.metrics.checks).every((c) => c.fails === 0 && c.passes > 0)).toBe(true);
    // latency per step, renewals per simulated day and fleet state per day for the report
    for (const step of ["pki-auth", "enrol", "issue", "renew", "profile-apply", "check-in", "end-to-end"]) expect(r.metrics.latency[step]).toBeDefined();
    // one issuance per enrolment and per renewal; a PKI-AUTH at least per enrolment
    const count = (step: string) => stepStats(r.metrics).find((s) => s.step === step)?.count ?? 0;
    expect(count("issue")).toBe(24 + o.counts.renewals!);
    expect(count("pki-auth")).toBeGreaterThanOrEqual(24);
    const perDay = Object.values(r.metrics.series[SERIES.renewalsPerSimDay] ?? {}).reduce((s, row) => s + (row.renewals ?? 0), 0);
    expect(perDay).toBe(o.counts.renewals);
    const lastDay = Object.values(r.metrics.series[SERIES.fleetStatePerSimDay] ?? {}).at(-1) ?? {};
    expect((lastDay.renewed ?? 0) + (lastDay.enrolled ?? 0) + (lastDay["renewal-due"] ?? 0)).toBe(24);
    expect(r.simulated).toEqual({ start: "2026-01-01T00:00:00.000Z", end: "2027-02-05T00:00:00.000Z" });
  });

  it("an issuer change to Purebred: every device re-enrols through the registration agent, on one thread or two", async () => {
    // Purebred needs an agent; the devices started with Entrust, so their environment must carry the agent card too.
    for (const workers of [1, 2]) {
      const r = await runFleet({ devices: 6, issuer: "entrust", seed: "to-purebred", duration: "60d", issuerChange: "30d:purebred", workers });
      const o = r.outcome;
      console.log(`[to purebred, ${workers} worker(s)] ${JSON.stringify(o)}`);
      expect(accounted(o)).toBe(6);
      expect(o.failed).toEqual({});
      expect(o.counts["re-enrolments"]).toBe(6);
      expect(o.counts["issuer:purebred"]).toBe(6);
    }
  });

  it("faults (429 at 0.2 with Retry-After, 503, dropped connections) lose no device, and the same seed gives the same outcome", async () => {
    const options = { devices: 9, issuer: "mixed" as const, seed: "runner-faults", faults: "429:0.2,503:0.05,drop:0.02,retry-after:2" };
    const a = await runFleet(options);
    const b = await runFleet(options);
    expect(b.outcome).toEqual(a.outcome);
    expect(a.outcome.failed).toEqual({});
    expect(a.outcome.enrolled + a.outcome.renewed).toBe(9);
    expect(a.outcome.counts["faults:429"]).toBeGreaterThan(50);
    expect(a.outcome.counts["faults:drop"]).toBeGreaterThan(0);
    // every injected 429 was retried by the device (after the server's Retry-After, in virtual time)
    expect(a.metrics.counters["retry:http-429"]).toBe(a.outcome.counts["faults:429"]);
    expect(b.metrics.counters).toEqual(a.metrics.counters);
  });

  it("renewal storm: 20 devices enrol, all reach the threshold at one instant, each renews exactly once in one simulated day", async () => {
    const r = await runFleet({ devices: 20, issuer: "mixed", seed: "storm-20", preset: "renewal-storm", lifetime: "30d", arrivalRate: 0.5 });
    const o = r.outcome;
    expect(accounted(o)).toBe(20);
    expect(o.failed).toEqual({});
    expect(o.renewed).toBe(20);
    expect(o.counts.renewals).toBe(20); // exactly once each
    const days = Object.entries(r.metrics.series[SERIES.renewalsPerSimDay] ?? {}).filter(([, row]) => (row.renewals ?? 0) > 0);
    expect(days).toHaveLength(1); // the storm falls in one simulated day
    expect(days[0]?.[1].renewals).toBe(20);
    expect(o.counts["storm:renewals"]).toBe(20);
    // 30d credentials: the tenant's threshold is day 24 after issuance (80 %), Intercede's rekey 28 days before expiry
    expect(o.counts["storm:day"]).toBeGreaterThanOrEqual(24);
    expect(o.counts["storm:day"]).toBeLessThanOrEqual(27);
    expect(r.metrics.latency.renew?.count).toBe(20);
    expect(r.command).toContain("--preset renewal-storm --arrival-rate 0.5");
    // the storm's throughput, from its first renewal to its last (wall clock), in summary.json too
    expect(r.storm).toMatchObject({ renewals: 20 });
    // wallSeconds is rounded to the millisecond: on a fast storm that is a relative error, not an absolute one
    expect(Math.abs(r.storm!.renewalsPerSecond * r.storm!.wallSeconds - 20)).toBeLessThan(0.2);
    expect(Date.parse(r.storm!.at) - Date.parse(r.simulated.start)).toBe(o.counts["storm:day"]! * 86_400_000);
    const summary = buildSummary(r);
    expect(validateSummary(JSON.parse(JSON.stringify(summary))).errors).toEqual([]);
    expect(summary.storm?.renewals).toBe(20);
    expect(reportHtml(r)).toContain(`Renewal storm at ${r.storm!.at}: 20 renewals`);
  });

  it("over real HTTP (a loopback server the runner starts) a fleet has the same outcome as in-process with the same seed", async () => {
    const options = { devices: 6, issuer: "intercede" as const, seed: "http-6", lifetime: "10d", duration: "12d" };
    const [inProcess, http] = [await runFleet(options), await runFleet({ ...options, transport: "http" })];
    expect(http.outcome).toEqual(inProcess.outcome);
    expect(http.outcome).toMatchObject({ devices: 6, failed: {} });
    expect(http.outcome.renewed).toBe(6);
    expect(http.options.transport).toBe("http");
    expect(http.command).toContain("--transport http");
  });

  it("--url drives a running server: its clock follows the run through /__admin/clock, the devices enrol over HTTP", async () => {
    const dir = tempDir();
    const clock = new VirtualClock(new Date("2026-03-01T10:00:00Z"));
    const lab = new LabDir(dir.path);
    const issuer = await CardIssuer.create(
      lab,
      { version: 1, alg: "p256", seed: "served", baseUrl: "http://127.0.0.1:7800", createdAt: clock.now().toISOString() },
      clock,
    );
    await createCards(lab, issuer, { count: 4, seed: "served", clock });
    const stack = await createLabStack(lab, { clock });
    const server = await serve(stack.handler);
    try {
      const r = await runFleet({ devices: 3, issuer: "entrust", seed: "served", duration: "3d", transport: "http", url: server.url, dir: dir.path });
      expect(r.outcome).toMatchObject({ devices: 3, enrolled: 3, failed: {} });
      expect(r.simulated).toEqual({ start: "2026-03-02T00:00:00.000Z", end: "2026-03-05T00:00:00.000Z" });
      expect(clock.now().getTime()).toBeGreaterThanOrEqual(Date.parse("2026-03-04T00:00:00Z")); // the server's clock moved with the run
      expect(stack.tenant.listDevices()).toHaveLength(3);
      await expect(runFleet({ devices: 9, issuer: "entrust", transport: "http", url: server.url, dir: dir.path })).rejects.toMatchObject({
        code: "usage",
        message: /has 4 cards/,
      });
    } finally {
      await server.close();
      dir.remove();
    }
  });

  it("--workers 2 (worker threads) gives the same outcome as one thread, every device accounted for, metrics merged", async () => {
    const options = { devices: 8, issuer: "mixed" as const, seed: "workers-8", lifetime: "60d", duration: "80d" };
    const one = await runFleet(options);
    const progress: { day: number; enrolled: number; renewed: number; failed: number }[] = [];
    const two = await runFleet({ ...options, workers: 2, onProgress: (p) => progress.push(p) });
    expect(two.outcome).toEqual(one.outcome);
    expect(accounted(two.outcome)).toBe(8);
    expect(two.outcome.failed).toEqual({});
    expect(two.outcome.renewed).toBeGreaterThan(0);
    expect(two.options.workers).toBe(2);
    // histograms merged (never averaged): as many samples as one thread recorded
    expect(two.metrics.latency.renew?.count).toBe(one.metrics.latency.renew?.count);
    expect(two.metrics.latency.enrol?.count).toBe(one.metrics.latency.enrol?.count);
    expect(two.metrics.counters.devices).toBe(8);
    expect(two.metrics.series[SERIES.renewalsPerSimDay]).toEqual(one.metrics.series[SERIES.renewalsPerSimDay]);
    // progress: one call per simulated day, the workers' sum
    expect(progress.map((p) => p.day)).toEqual(Array.from({ length: 81 }, (_, i) => i));
    const last = progress.at(-1)!;
    expect(last.enrolled + last.renewed + last.failed).toBe(8);
  });

  it("a renewal storm and injected faults over two worker threads (faults over real HTTP) give one thread's outcome", async () => {
    const storm = { devices: 12, issuer: "mixed" as const, seed: "storm-workers", preset: "renewal-storm", lifetime: "30d", arrivalRate: 0.5 };
    const [stormOne, stormTwo] = [await runFleet(storm), await runFleet({ ...storm, workers: 2 })];
    expect(stormTwo.outcome).toEqual(stormOne.outcome);
    expect(stormTwo.outcome).toMatchObject({ renewed: 12, failed: {} });
    expect(stormTwo.outcome.counts["storm:renewals"]).toBe(12); // one fleet-wide instant: all in one simulated day
    expect(Object.values(stormTwo.metrics.series[SERIES.renewalsPerSimDay] ?? {}).filter((row) => (row.renewals ?? 0) > 0)).toHaveLength(1);

    const faulty = {
      devices: 10,
      issuer: "mixed" as const,
      seed: "faults-workers",
      faults: "429:0.2,503:0.05,drop:0.02,retry-after:2",
      lifetime: "40d",
      duration: "50d",
    };
    const [faultsOne, faultsTwoHttp] = [await runFleet(faulty), await runFleet({ ...faulty, workers: 2, transport: "http" })];
    expect(faultsTwoHttp.outcome).toEqual(faultsOne.outcome); // fault draws are per device, not per thread or stack
    expect(faultsOne.outcome.counts["faults:429"]).toBeGreaterThan(50);
    expect(faultsOne.outcome.counts["faults:drop"]).toBeGreaterThan(0);
    expect(faultsOne.outcome.failed).toEqual({});
  });

  it("user slips (mistyped PIN, card errors, expired OTP/QR) and churn (lost, unenrolled) lose no device, on one thread or two", async () => {
    const options = {
      devices: 14,
      issuer: "mixed" as const,
      seed: "slips-churn",
      lifetime: "40d",
      duration: "60d",
      faults: "pin:0.3,pkcs11:0.15,expired:0.2",
      churn: "lost:0.2,unenrol:0.15",
    };
    const [one, two] = [await runFleet(options), await runFleet({ ...options, workers: 2 })];
    expect(two.outcome).toEqual(one.outcome);
    const o = one.outcome;
    expect(accounted(o)).toBe(14);
    expect(o.failed).toEqual({});
    expect(o.retired.lost).toBeGreaterThan(0);
    expect(o.retired.unenrolled).toBeGreaterThan(0);
    for (const kind of ["pin", "pkcs11", "expired"]) expect(o.counts[`faults:${kind}`]).toBeGreaterThan(0);
    // an expired secret is refused by the issuer (410) and the user starts over; so is a card error
    expect(one.metrics.counters["user-retry:secret-expired"]).toBeGreaterThan(0);
    expect(one.metrics.counters["user-retry:pkcs11-ckr_device_error"]).toBeGreaterThan(0);
    // every lost device that held a credential had it revoked by its issuer (DC-TRM-01)
    const revoked = one.metrics.checks["lost device: credential revoked (DC-TRM-01)"];
    expect(revoked?.passes).toBeGreaterThan(0);
    expect(revoked?.fails).toBe(0);
    expect(one.command).toContain("--churn lost:0.2,unenrol:0.15");
  });

  it("a second run on the same --dir reuses the lab's deck, adding cards only when the fleet needs more", async () => {
    const dir = tempDir();
    try {
      const options = { issuer: "intercede" as const, seed: "reuse", duration: "3d", dir: dir.path };
      const first = await runFleet({ ...options, devices: 3 });
      const deckSize = async () => (await CardIssuer.open(new LabDir(dir.path), new VirtualClock(new Date()))).cards().length;
      const deckAfterFirst = await deckSize();
      const again = await runFleet({ ...options, devices: 3 });
      expect(again.outcome).toEqual(first.outcome);
      expect(await deckSize()).toBe(deckAfterFirst);
      const bigger = await runFleet({ ...options, devices: 9 });
      expect(bigger.outcome).toMatchObject({ devices: 9, enrolled: 9, failed: {} });
      expect(await deckSize()).toBeGreaterThan(deckAfterFirst);
    } finally {
      dir.remove();
    }
  });

  it("--population: hardware keystores get the -hardware credential; blocked cameras, old OSes, no on-premises network fail with their reason", async () => {
    const options = {
      devices: 24,
      issuer: "mixed" as const,
      seed: "population",
      duration: "10d",
      population: "hardware:0.3,camera-blocked:0.3,old-os:0.1,off-network:0.3,non-compliant:0.3",
    };
    const [one, two] = [await runFleet(options), await runFleet({ ...options, workers: 2 })];
    expect(two.outcome).toEqual(one.outcome);
    const o = one.outcome;
    expect(accounted(o)).toBe(24);
    expect(o.counts["keystore:hardware"]).toBeGreaterThan(0);
    // a hardware keystore's credential is the -hardware (.41) kind, a software one's the .40 kind: never mixed up
    expect(o.counts["credentials:hardware"]).toBeGreaterThan(0);
    expect(o.counts["credentials:keystore-mismatch"]).toBeUndefined();
    expect(Object.keys(o.failed).sort()).toEqual([
      "enrol:camera-blocked",
      "enrol:device-not-approved", // non-compliant: the tenant does not approve it (DC-ISS-02)
      "enrol:no-on-premises-network",
      "enrol:os-version-too-old",
    ]);
    await expect(runFleet({ devices: 2, population: "robot:0.5" })).rejects.toMatchObject({ code: "usage", message: /--population/ });
  });

  it("refuses bad options before building a lab", async () => {
    for (const workers of [0, 9, 1.5]) await expect(runFleet({ devices: 8, workers })).rejects.toMatchObject({ code: "usage", message: /--workers/ });
    await expect(
      runFleet({ devices: 8, workers: 2, transport: "http", url: "http://127.0.0.1:1", issuer: "entrust", dir: "/nonexistent" }),
    ).rejects.toMatchObject({
      code: "usage",
      message: /--workers/,
    });
    await expect(runFleet({ devices: 0 })).rejects.toMatchObject({ code: "usage" });
    await expect(runFleet({ devices: 2, mix: "ios:sixty" })).rejects.toMatchObject({ code: "usage" });
    await expect(runFleet({ devices: 2, faults: "429:2" })).rejects.toMatchObject({ code: "usage" });
    await expect(runFleet({ devices: 2, lifetime: "2000d" })).rejects.toMatchObject({ code: "usage", message: /1096d/ });
    await expect(runFleet({ devices: 2, thresholds: ["renew.p95"] })).rejects.toMatchObject({ code: "usage" });
    await expect(runFleet({ devices: 2, preset: "hurricane" })).rejects.toMatchObject({ code: "usage" });
    await expect(runFleet({ devices: 2, faults: "pin:1.5" })).rejects.toMatchObject({ code: "usage", message: /pin/ });
    await expect(runFleet({ devices: 2, churn: "stolen:0.1" })).rejects.toMatchObject({ code: "usage", message: /--churn/ });
    await expect(runFleet({ devices: 2, churn: "lost:0.7,unenrol:0.7" })).rejects.toMatchObject({ code: "usage", message: /--churn/ });
    await expect(runFleet({ devices: 2, issuerChange: "200d:xtec" })).rejects.toMatchObject({ code: "usage", message: /--issuer-change/ });
    await expect(runFleet({ devices: 2, duration: "100d", issuerChange: "200d:entrust" })).rejects.toMatchObject({ code: "usage", message: /--issuer-change/ });
    await expect(runFleet({ devices: 2, transport: "carrier-pigeon" })).rejects.toMatchObject({ code: "usage" });
    await expect(runFleet({ devices: 2, url: "http://127.0.0.1:1" })).rejects.toMatchObject({ code: "usage", message: /--transport http/ });
    await expect(runFleet({ devices: 2, transport: "http", url: "http://127.0.0.1:1", issuer: "entrust" })).rejects.toMatchObject({
      code: "usage",
      message: /--dir/,
    });
  });
});

describe("dpclab fleet run", () => {
  it("prints the summary and writes summary.json (valid), junit.xml and report.html", async () => {
    const dir = tempDir();
    try {
      const report = join(dir.path, "report");
      const r = await dpclab([
        "fleet",
        "run",
        "--devices",
        "6",
        "--issuer",
        "entrust",
        "--duration",
        "30d",
        "--seed",
        "cli",
        "--threshold",
        "enrol.p95<60s",
        "--report",
        report,
      ]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("dpclab fleet run --devices 6");
      const summary = JSON.parse(readFileSync(join(report, "summary.json"), "utf8"));
      expect(validateSummary(summary)).toEqual({ ok: true, errors: [] });
      expect(summary.outcome).toMatchObject({ devices: 6, enrolled: 6, renewed: 0, failed: {} });
      const junit = parseXml(readFileSync(join(report, "junit.xml"), "utf8"));
      expect(findAll(junit, "testcase").length).toBeGreaterThan(0);
      expect(existsSync(join(report, "report.html"))).toBe(true);
      expect(readFileSync(join(report, "report.html"), "utf8")).toContain("<svg");
    } finally {
      dir.remove();
    }
  });

  it("--workers 2 runs the fleet on two threads", async () => {
    const r = await dpclab(["fleet", "run", "--devices", "4", "--issuer", "entrust", "--duration", "2d", "--seed", "cli-workers", "--workers", "2"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/enrol/);
  });

  it("exits 1 when a threshold is breached", async () => {
    const r = await dpclab(["fleet", "run", "--devices", "2", "--issuer", "intercede", "--duration", "2d", "--threshold", "enrol.p95<1us"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/enrol\.p95<1us/);
  });

  it("bad flags: one line, exit 2", async () => {
    for (const args of [
      ["run"],
      ["run", "--devices", "many"],
      ["run", "--devices", "3", "--bogus"],
      ["run", "--devices", "3", "--issuer", "acme"],
      ["run", "--devices", "3", "--faults", "429:0.9,503:0.9"],
      ["run", "--devices", "3", "--mix", "windows:10"],
      ["run", "--devices", "3", "--workers", "4"],
      ["run", "--devices", "3", "--workers", "0"],
      ["run", "--devices", "3", "--workers", "1.5"],
      ["run", "--devices", "3", "--workers", "two"],
      ["walk", "--devices", "3"],
    ]) {
      const r = await dpclab(["fleet", ...args]);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
  });
});
