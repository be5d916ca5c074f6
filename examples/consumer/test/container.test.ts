import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { opensslSubject } from "./openssl.js";

/** Why the container test cannot run here, or "" when a Docker engine answers. */
function engineProblem(): string {
  if (process.env.DPCLAB_SKIP_CONTAINERS) return `DPCLAB_SKIP_CONTAINERS is set (${process.env.DPCLAB_SKIP_CONTAINERS})`;
  const info = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { encoding: "utf8", timeout: 10_000 });
  if (info.error) return "no docker CLI found";
  if (info.status !== 0) return `no Docker engine answers (docker info: ${(info.stderr || info.stdout).trim().split("\n")[0]})`;
  const image = spawnSync("docker", ["image", "inspect", "dpclab:dev"], { encoding: "utf8", timeout: 10_000 });
  if (image.status !== 0) return "no dpclab:dev image (build it with scripts/docker-image.sh in the dpclab repository)";
  return "";
}
const problem = engineProblem();
if (problem) console.warn(`DpclabContainer test SKIPPED: ${problem}`);

// The whole lab in a container (dpclab/testcontainers), like @testcontainers/localstack.
describe("dpclab/testcontainers", () => {
  it.skipIf(Boolean(problem))(`DpclabContainer serves a lab with cards${problem ? ` — SKIPPED: ${problem}` : ""}`, async () => {
    // Machines without an image registry: no Ryuk reaper unless its image is already here; in a container (/.dockerenv),
    // the published ports are on the loopback of the engine's host.
    if (spawnSync("docker", ["image", "inspect", "testcontainers/ryuk:0.14.0"]).status !== 0) process.env.TESTCONTAINERS_RYUK_DISABLED ??= "true";
    process.env.TESTCONTAINERS_HOST_OVERRIDE ??= "127.0.0.1";
    const { DpclabContainer } = await import("dpclab/testcontainers");
    const lab = await new DpclabContainer().withCards(2).start();
    try {
      const clock = await fetch(`${lab.getAdminUrl()}/clock`, { headers: { authorization: `Bearer ${lab.getAdminToken()}` } });
      expect(clock.status).toBe(200);
      const crl = await fetch(`${lab.getBaseUrl()}/pki/crl/piv-ca.crl`);
      expect(crl.status).toBe(200);
      expect(opensslSubject(await lab.getTrustAnchorPem())).toContain("DPCLAB TEST Root CA");
    } finally {
      await lab.stop();
    }
  }, 900_000);
});
