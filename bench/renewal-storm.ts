import { createSign, createVerify, generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { stepStats } from "../fleet/report/index.js";
import { runFleet } from "../fleet/runner/index.js";
import { type Figure, round } from "./results.js";

/** Devices in the storm (issue 4 §5: 10,000); DPCLAB_BENCH_STORM_DEVICES for a quicker look. */
const DEVICES = Number(process.env.DPCLAB_BENCH_STORM_DEVICES ?? 10_000);

/**
 * The renewal path under load (issue 4 §5). A fleet of Intercede devices (renewal = the Identity Agent's automatic
 * rekey: new key, CSR, proof with the current key, new certificate, chain check on the device — no card, so the work
 * is what the floor below counts) enrols, then reaches its threshold at one instant; renewals per wall-clock second,
 * all cores, in-process and over real HTTP on the same lab, against the crypto floor of one renewal measured here
 * on one core: P-256 key generation + CSR signature + CSR verification + certificate signature + chain verification
 * (leaf by the issuer CA, issuer CA by the root), with node:crypto on inputs of the real sizes.
 */
export async function benchRenewalStorm(): Promise<Figure[]> {
  const workers = Math.min(availableParallelism(), 4);
  // DPCLAB_BENCH_STORM_DIR keeps the lab (its card deck is the slow part to make) for the next run to reuse.
  const kept = process.env.DPCLAB_BENCH_STORM_DIR;
  const dir = kept ?? mkdtempSync(join(tmpdir(), "dpclab-bench-storm-"));
  const lab = kept ?? join(dir, "lab");
  try {
    const storm = { devices: DEVICES, issuer: "intercede" as const, preset: "renewal-storm", lifetime: "30d", seed: "bench-storm", workers, dir: lab };
    // The floor is measured right before and right after the in-process storm and averaged: these machines drift.
    const floorBefore = cryptoFloorPerSecond();
    const inProcess = await runFleet(storm);
    const floorAfter = cryptoFloorPerSecond();
    const floor = (floorBefore + floorAfter) / 2;
    const http = await runFleet({ ...storm, transport: "http" }); // the same lab: its deck is reused
    for (const r of [inProcess, http]) {
      if (!r.storm || r.storm.renewals !== DEVICES || Object.keys(r.outcome.failed).length > 0)
        throw new Error(`the storm did not renew every device: ${JSON.stringify(r.outcome)}`);
    }
    const inProcessRate = inProcess.storm!.renewalsPerSecond;
    const httpRate = http.storm!.renewalsPerSecond;
    return [
      { name: "renewal_crypto_floor_per_second_one_core", value: round(floor, 0), unit: "renewals/s" },
      { name: "renewal_crypto_floor_before_storm", value: round(floorBefore, 0), unit: "renewals/s" },
      { name: "renewal_crypto_floor_after_storm", value: round(floorAfter, 0), unit: "renewals/s" },
      { name: "renewal_storm_devices", value: DEVICES, unit: `devices (${workers} workers)` },
      { name: "renewal_storm_inprocess_per_second", value: round(inProcessRate, 1), unit: "renewals/s" },
      { name: "renewal_storm_http_per_second", value: round(httpRate, 1), unit: "renewals/s" },
      { name: "renewal_per_crypto_floor_ratio", value: round(inProcessRate / floor, 4), unit: "ratio" },
      { name: "http_per_inprocess_ratio", value: round(httpRate / inProcessRate, 3), unit: "ratio" },
      { name: "renewal_storm_renew_p95_inprocess_ms", value: round(p95(inProcess), 2), unit: "ms" },
      { name: "renewal_storm_renew_p95_http_ms", value: round(p95(http), 2), unit: "ms" },
    ];
  } finally {
    if (!kept) rmSync(dir, { recursive: true, force: true });
  }
}

/** p95 of the renew step from the merged histogram (never an average of per-worker percentiles). */
function p95(r: Awaited<ReturnType<typeof runFleet>>): number {
  return stepStats(r.metrics).find((s) => s.step === "renew")?.p95 ?? Number.NaN;
}

/** One core, synchronous node:crypto: the cryptography one renewal cannot avoid, per second. */
function cryptoFloorPerSecond(): number {
  const root = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const ca = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const caTbs = Buffer.alloc(420, 1);
  const caSig = sign(caTbs, root.privateKey);
  const csrInfo = Buffer.alloc(180, 2);
  const tbs = Buffer.alloc(620, 3); // a derived PIV Auth TBSCertificate is ~600 bytes
  const once = () => {
    const device = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const csrSig = sign(csrInfo, device.privateKey);
    if (!verify(csrInfo, device.publicKey, csrSig)) throw new Error("CSR signature");
    const certSig = sign(tbs, ca.privateKey);
    if (!verify(tbs, ca.publicKey, certSig) || !verify(caTbs, root.publicKey, caSig)) throw new Error("chain");
  };
  for (let i = 0; i < 200; i++) once();
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < 2_000) {
    once();
    n++;
  }
  return (n * 1000) / (performance.now() - start);
}

function sign(data: Buffer, key: KeyObject): Buffer {
  return createSign("sha256").update(data).sign(key);
}

function verify(data: Buffer, key: KeyObject, signature: Buffer): boolean {
  return createVerify("sha256").update(data).verify(key, signature);
}
