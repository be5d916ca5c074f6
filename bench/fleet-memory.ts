import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { GRAPH_ISSUER, type IssuerName, type Platform } from "../emulators/derived/index.js";
import type { ProfileFamily } from "../emulators/tenant/index.js";
import { type AgentEnvironment, DeviceAgent, type DeviceUser, type HeldCredential, type ProfileResult } from "../fleet/agent/index.js";
import { type DeviceKey, SoftwareKeystore } from "../fleet/keystore/index.js";
import { FleetMetrics } from "../fleet/metrics/index.js";
import { deviceRandom, EventQueue, type SimEvent } from "../fleet/sim/index.js";
import { VirtualClock } from "../src/clock.js";
import type { PivCard } from "../src/piv/index.js";
import { CertificateAuthority, derivedPivAuthRequest, derivedSigningRequest } from "../src/pki/index.js";
import { type Figure, round } from "./results.js";

const CHILD_FLAG = "--fleet-memory-child";
const DAY_MS = 86_400_000;
const ISSUERS: IssuerName[] = ["entrust", "intercede", "purebred"];

/**
 * Heap per idle simulated device, at 10k and 100k devices, each in a fresh `node --expose-gc` child.
 *
 * Per device, what the fleet runner keeps between check-ins: a real DeviceAgent (real constructor: retrying fetch
 * closure, RecordingKeystore over a SoftwareKeystore, its Maps) with managedDeviceId and state set; the credential as
 * the agent's #held builds it (PIV Auth DER — and the S/MIME signing DER on iOS — and the two-certificate chain, each
 * decoded from base64 into its own buffer as the issuer clients do; credentialId; notAfter; a real node:crypto P-256
 * DeviceKey); one ProfileResult per deployed profile and the applied-deployment map (policy ids parsed from JSON as a
 * check-in response delivers them); the pending check-in event in a real EventQueue; the user record (1.5 devices per
 * user). Not counted: the lab stack's server-side state (tenant, issuers), the SoftHSM card sessions of users (native),
 * and native key material — `heapUsed` is the V8 heap only; buffer contents are reported apart as array-buffer bytes.
 * The agent's credential and profile maps are private, so the same objects are held beside each agent.
 */
export async function benchFleetMemory(): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const n of [10_000, 100_000]) {
    const out = execFileSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), CHILD_FLAG, String(n)], {
      encoding: "utf8",
      maxBuffer: 1 << 20,
    });
    const r = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as { heap: number; arrayBuffers: number };
    const label = `${n / 1000}k`;
    figures.push({ name: `heap_bytes_per_device_${label}`, value: round(r.heap, 0), unit: "B/device" });
    figures.push({ name: `array_buffer_bytes_per_device_${label}`, value: round(r.arrayBuffers, 0), unit: "B/device" });
  }
  return figures;
}

interface IdleDevice {
  agent: DeviceAgent;
  credential: HeldCredential & { credentialId: string; notAfter: number; key: DeviceKey };
  profiles: Map<string, ProfileResult>;
  applied: Map<string, number>;
}

async function child(n: number): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("fleet-memory child needs --expose-gc");
  // Shared by every device (one per lab stack in the runner): not part of the per-device figure.
  const start = new Date("2025-01-01T00:00:00Z");
  const clock = new VirtualClock(start);
  const metrics = new FleetMetrics();
  const notAfter = new Date(start.getTime() + 3 * 365 * DAY_MS);
  const root = await CertificateAuthority.createRoot({ commonName: "DPCLAB TEST Mem Root CA", notBefore: start, notAfter });
  const ca = await root.createSubordinate({ commonName: "DPCLAB TEST Mem Derived CA", notBefore: start, notAfter });
  const subscriber = { commonName: "MEM CARDHOLDER", agency: "Department of Benchmarks", email: "mem@example.test" };
  const b64 = (der: Uint8Array) => Buffer.from(der).toString("base64");
  const pool: { pivAuth: string; signing: string }[] = [];
  for (let i = 0; i < 16; i++) {
    const key = await new SoftwareKeystore().generateKey("p256");
    const req = { publicKey: key.publicKey, subscriber, keystore: "software" as const, notBefore: start };
    pool.push({ pivAuth: b64((await ca.issueDer(derivedPivAuthRequest(req).request)).der), signing: b64((await ca.issueDer(derivedSigningRequest(req))).der) });
  }
  const chainB64 = [b64(new Uint8Array(ca.certificate.rawData)), b64(new Uint8Array(root.certificate.rawData))];
  const envs = new Map<IssuerName, AgentEnvironment>(
    ISSUERS.map((issuer) => [
      issuer,
      {
        fetch: (() => Promise.reject(new Error("an idle device does not fetch"))) as typeof fetch,
        baseUrl: "http://127.0.0.1:7800",
        clock,
        metrics,
        trustedRoot: new Uint8Array(root.certificate.rawData),
        assign: () => {},
      },
    ]),
  );
  const policyTypes: Record<Platform, [string, ProfileFamily, string][]> = {
    ios: [
      ["iosTrustedRootCertificate", "trustedRoot", "trusted root"],
      ["iosDerivedCredentialAuthenticationConfiguration", "derivedCredentialAuthentication", "pivAuth"],
      ["iosEnterpriseWiFiConfiguration", "wiFi", "pivAuth"],
      ["iosEasEmailProfileConfiguration", "email", "pivAuth + signing"],
    ],
    android: [
      ["androidDeviceOwnerTrustedRootCertificate", "trustedRoot", "trusted root"],
      ["androidDeviceOwnerDerivedCredentialAuthenticationConfiguration", "derivedCredentialAuthentication", "pivAuth"],
      ["androidDeviceOwnerEnterpriseWiFiConfiguration", "wiFi", "pivAuth"],
    ],
  };
  const checkInBody = Object.fromEntries(
    (["ios", "android"] as Platform[]).map((p) => [
      p,
      JSON.stringify({ policies: policyTypes[p].map(([type]) => ({ id: randomUUID(), type, deployment: 1, usesDerivedCredential: true, needsEdit: false })) }),
    ]),
  ) as Record<Platform, string>;
  const queue = new EventQueue();
  const devices: IdleDevice[] = [];
  const users: DeviceUser[] = [];

  gc();
  gc();
  const before = process.memoryUsage();

  for (let i = 0; i < n; i += 256) {
    const batch = Math.min(256, n - i);
    const keys = await Promise.all(Array.from({ length: batch }, () => new SoftwareKeystore().generateKey("p256")));
    for (let k = 0; k < batch; k++) {
      const index = i + k;
      const userIndex = Math.floor(index / 1.5);
      let user = users[userIndex];
      if (!user) {
        user = { cardIndex: userIndex + 1, card: {} as PivCard, pin: `${123456 + userIndex}`.slice(-6), email: `user${userIndex}@example.test` };
        users[userIndex] = user;
      }
      const issuer = ISSUERS[userIndex % ISSUERS.length] as IssuerName;
      const platform: Platform = index % 2 === 0 ? "ios" : "android";
      const agent = new DeviceAgent({ index, issuer, platform, user, random: deviceRandom("mem", index).fork("retry"), env: envs.get(issuer)! });
      agent.managedDeviceId = randomUUID();
      agent.state = "enrolled";
      const certs = pool[index % pool.length]!;
      const credential = {
        pivAuth: new Uint8Array(Buffer.from(certs.pivAuth, "base64")),
        ...(platform === "ios" ? { signing: new Uint8Array(Buffer.from(certs.signing, "base64")) } : {}),
        chain: chainB64.map((c) => new Uint8Array(Buffer.from(c, "base64"))),
        credentialId: `${GRAPH_ISSUER[issuer]}-${randomUUID()}`,
        notAfter: notAfter.getTime(),
        key: keys[k]!,
      };
      const policies = (JSON.parse(checkInBody[platform]) as { policies: { id: string; deployment: number }[] }).policies;
      const profiles = new Map<string, ProfileResult>();
      const applied = new Map<string, number>();
      policyTypes[platform].forEach(([, family, what], p) => {
        const policy = policies[p]!;
        profiles.set(policy.id, { policyId: policy.id, family, ok: true, detail: `${what} chains to the trusted root; key usage fits` });
        applied.set(policy.id, policy.deployment);
      });
      queue.push({ at: start.getTime() + DAY_MS + index, kind: "check-in", subject: index } satisfies SimEvent);
      devices.push({ agent, credential, profiles, applied });
    }
  }

  gc();
  gc();
  const after = process.memoryUsage();
  if (devices.length !== n || queue.size !== n) throw new Error("fleet-memory: lost devices");
  console.log(JSON.stringify({ heap: (after.heapUsed - before.heapUsed) / n, arrayBuffers: (after.arrayBuffers - before.arrayBuffers) / n }));
}

if (process.argv[2] === CHILD_FLAG && process.argv[1] === fileURLToPath(import.meta.url)) {
  await child(Number(process.argv[3]));
}
