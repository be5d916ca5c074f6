import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dpclab, freePort, tempDir } from "./helpers/cli.js";

/**
 * The container stack run for real where a Docker engine answers (the test command starts Debian's dockerd when it
 * is installed and none runs: scripts/docker-engine.sh): docker-compose.yml brought up through testcontainers —
 * cards created by lab-init, `serve` healthy, a derived credential enrolled by the host's `dpclab enroll` over the
 * published port, OCSP answering `openssl ocsp` there — and the `dpclab/testcontainers` module. Where no engine can
 * run, every test skips with the reason in its title: it never passes silently.
 */
const STATE = process.env.DPCLAB_DOCKER_STATE ?? "/var/lib/dpclab-docker";

function engineProblem(): string {
  const info = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { encoding: "utf8", timeout: 10_000 });
  if (info.error) return "no docker CLI found (apt-get install docker.io)";
  if (info.status === 0) return "";
  // scripts/docker-engine.sh says why it could not start one (not root, no dockerd, dockerd failed).
  const why = join(STATE, "engine-problem");
  if (existsSync(why)) return readFileSync(why, "utf8").trim();
  return `no container engine answers (docker info: ${(info.stderr || info.stdout).trim().split("\n")[0]}); scripts/docker-engine.sh start starts one`;
}
const problem = engineProblem();
if (problem) console.warn(`container tests SKIPPED: ${problem}`);
const skipped = problem ? ` — SKIPPED: ${problem}` : "";

// Testcontainers on this VM: the Ryuk image cannot be pulled (no registry), and /.dockerenv makes testcontainers think
// it runs inside a container and aim at the bridge gateway; the published ports are on this machine's loopback.
if (!problem) {
  if (spawnSync("docker", ["image", "inspect", "testcontainers/ryuk:0.14.0"]).status !== 0) process.env.TESTCONTAINERS_RYUK_DISABLED ??= "true";
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= "127.0.0.1";
}

/** compose v2 (`docker compose`) when the CLI has it, else Debian's docker-compose 1.29 (testcontainers' standalone). */
function composeFlavour(): "v2" | "v1" | undefined {
  if (spawnSync("docker", ["compose", "version"], { encoding: "utf8" }).status === 0) return "v2";
  if (spawnSync("docker-compose", ["version"], { encoding: "utf8" }).status === 0) return "v1";
  return undefined;
}

describe.skipIf(Boolean(problem))("containers (a Docker engine)", () => {
  beforeAll(() => {
    // The project's image without a registry (warm: the layer cache; cold: the local base image, minutes).
    execFileSync("bash", ["scripts/docker-image.sh", "build"], { stdio: ["ignore", "inherit", "inherit"] });
  }, 900_000);

  describe("docker-compose.yml, brought up for real", () => {
    const flavour = composeFlavour();
    const noCompose = flavour ? "" : " — SKIPPED: neither `docker compose` nor docker-compose is installed";
    const tmp = tempDir("dpclab-compose-");
    const project = `dpclabct${process.pid}`;
    // Container names: compose v2 `<project>-lab-1`; v1 `<project>_lab_1` (testcontainers keeps v1's whole name).
    const name = (service: string) => (flavour === "v2" ? `${service}-1` : `${project}_${service}_1`);
    let env: import("testcontainers").StartedDockerComposeEnvironment | undefined;
    let url = "";

    beforeAll(async () => {
      if (!flavour) return;
      const { DockerComposeEnvironment, Wait } = await import("testcontainers");
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      let compose = new DockerComposeEnvironment(".", "docker-compose.yml")
        .withProjectName(project)
        .withEnvironment({ DPCLAB_PORT: String(port) })
        .withWaitStrategy(name("lab"), Wait.forHealthCheck())
        .withStartupTimeout(300_000);
      // Debian ships compose v1 only; testcontainers drives it as its "standalone" executable.
      if (flavour === "v1") compose = compose.withClientOptions({ executable: { standalone: true } });
      env = await compose.up();
    }, 600_000);

    afterAll(async () => {
      await env?.down({ removeVolumes: true, timeout: 10_000 });
      tmp.remove();
    }, 120_000);

    it.skipIf(!flavour)(`lab-init created the cards and exited 0; lab is healthy${noCompose}`, async () => {
      // lab-init has exited (testcontainers lists running containers only): find it by its compose labels.
      const filters = ["--filter", `label=com.docker.compose.project=${project}`, "--filter", "label=com.docker.compose.service=lab-init"];
      const initId = execFileSync("docker", ["ps", "-a", "-q", ...filters], { encoding: "utf8" }).trim();
      expect(initId).not.toBe("");
      const init = execFileSync("docker", ["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", initId], { encoding: "utf8" });
      expect(init.trim()).toBe("exited 0");
      const lab = env?.getContainer(name("lab"));
      const health = spawnSync("docker", ["inspect", "--format", "{{.State.Health.Status}}", lab?.getId() ?? ""], { encoding: "utf8" });
      expect(health.stdout.trim()).toBe("healthy");
      const cards = await lab?.exec(["node", "bin/dpclab.js", "cards", "list", "--dir", "/lab", "--json"]);
      expect(cards?.exitCode).toBe(0);
      expect(JSON.parse(cards?.stdout ?? "{}").cards).toHaveLength(20);
      const pki = await fetch(`${url}/pki`);
      expect(pki.status).toBe(200);
      // The certificates carry the in-network origin of compose's lab service.
      expect(((await pki.json()) as { cas: { ocspUrl: string }[] }).cas[0]?.ocspUrl).toMatch(/^http:\/\/lab:7800\/pki\/ocsp\//);
      const crl = await fetch(`${url}/pki/crl/piv-ca.crl`);
      expect(crl.status).toBe(200);
      expect(crl.headers.get("content-type")).toBe("application/pkix-crl");
      // Bound to 0.0.0.0, /__admin wants the compose file's token.
      expect((await fetch(`${url}/__admin/clock`)).status).toBe(401);
      const clock = await fetch(`${url}/__admin/clock`, { headers: { authorization: "Bearer dpclab-TEST-admin-token" } });
      expect(clock.status).toBe(200);
    });

    it.skipIf(!flavour)(`the host's dpclab enroll gets a derived credential over the published port; OCSP says good${noCompose}`, async () => {
      // The cards live in the container's volume: the host's CLI uses a copy of the lab (SoftHSM tokens included).
      const lab = join(tmp.path, "lab");
      execFileSync("docker", ["cp", `${env?.getContainer(name("lab")).getId()}:/lab`, lab]);
      const out = join(tmp.path, "credential");
      const r = await dpclab(["enroll", "--dir", lab, "--issuer", "entrust", "--card", "1", "--platform", "ios", "--url", url, "--out", out]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const ossl = (args: string[]) => execFileSync("openssl", args, { cwd: out, encoding: "utf8" });
      expect(ossl(["verify", "-CAfile", "root.pem", "-untrusted", "chain.pem", "derived-piv-auth.pem"])).toContain("derived-piv-auth.pem: OK");
      // The OCSP URL in the certificate names lab:7800 (compose's network): ask the same path on the published port.
      const ocspUri = ossl(["x509", "-in", "derived-piv-auth.pem", "-noout", "-ocsp_uri"]).trim();
      expect(ocspUri).toMatch(/^http:\/\/lab:7800\/pki\/ocsp\//);
      // The issuing CA: the first certificate of chain.pem, in a file of its own (openssl ocsp -issuer reads one).
      writeFileSync(join(out, "issuer.pem"), ossl(["x509", "-in", "chain.pem"]));
      const ocsp = execFileSync(
        "openssl",
        [
          "ocsp",
          "-issuer",
          "issuer.pem",
          "-cert",
          "derived-piv-auth.pem",
          "-url",
          `${url}${new URL(ocspUri).pathname}`,
          "-CAfile",
          "root.pem",
          "-VAfile",
          "chain.pem",
        ],
        { cwd: out, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
      );
      expect(ocsp).toContain("derived-piv-auth.pem: good");
    });
  });

  describe("dpclab/testcontainers: DpclabContainer", () => {
    it(`starts a lab with cards; base URL, admin URL and trust anchor answer${skipped}`, async () => {
      const { DpclabContainer } = await import("../src/api/testcontainers.js");
      const lab = await new DpclabContainer().withCards(2).withSeed("containers-test").start();
      try {
        expect(lab.getBaseUrl()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        const pki = await fetch(`${lab.getBaseUrl()}/pki`);
        expect(pki.status).toBe(200);
        const anchor = await lab.getTrustAnchorPem();
        expect(anchor).toContain("-----BEGIN CERTIFICATE-----");
        const subject = execFileSync("openssl", ["x509", "-noout", "-subject"], { input: anchor, encoding: "utf8" });
        expect(subject).toContain("DPCLAB TEST Root CA");
        expect(lab.getAdminUrl()).toBe(`${lab.getBaseUrl()}/__admin`);
        expect((await fetch(`${lab.getAdminUrl()}/clock`)).status).toBe(401);
        const clock = await fetch(`${lab.getAdminUrl()}/clock`, { headers: { authorization: `Bearer ${lab.getAdminToken()}` } });
        expect(clock.status).toBe(200);
        const cards = await lab.exec(["node", "bin/dpclab.js", "cards", "list", "--dir", "/lab", "--json"]);
        expect(JSON.parse(cards.stdout).cards).toHaveLength(2);
      } finally {
        await lab.stop();
      }
    }, 300_000);
  });
});
