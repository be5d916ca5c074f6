/**
 * `dpclab/testcontainers`: a testcontainers module (in the style of `@testcontainers/localstack`) that runs a whole
 * dpclab TEST lab — virtual PIV cards, the emulated issuers, the Intune-like tenant, OCSP and CRLs — in one container:
 *
 *   const lab = await new DpclabContainer().withCards(20).start();
 *   fetch(`${lab.getBaseUrl()}/pki`); lab.getAdminUrl(); await lab.getTrustAnchorPem(); await lab.stop();
 *
 * The image is the project's (`dpclab:dev`, built by `docker build -t dpclab:dev .` or scripts/docker-image.sh).
 * `testcontainers` is a peer dependency: the consumer's test suite already has it, and sharing their copy keeps one
 * Docker client, one Ryuk session and their own configuration (TESTCONTAINERS_* variables) for every container.
 */
import { randomBytes } from "node:crypto";
import { AbstractStartedContainer, GenericContainer, type StartedTestContainer, Wait } from "testcontainers";

/** The image `docker build -t dpclab:dev .` (or scripts/docker-image.sh) makes. */
export const DPCLAB_DEFAULT_IMAGE = "dpclab:dev";
/** The port `dpclab serve` listens on inside the container. */
export const DPCLAB_PORT = 7800;
/** The lab directory inside the container. */
export const DPCLAB_CONTAINER_LAB_DIR = "/lab";

export type DpclabKeyAlgorithm = "p256" | "p384" | "rsa2048" | "rsa3072";

/** A dpclab lab in a container: `cards create`, then `serve` on 0.0.0.0:7800 (the mapped port is random). */
export class DpclabContainer extends GenericContainer {
  private cards = 4;
  private seed: string | undefined;
  private alg: DpclabKeyAlgorithm | undefined;
  private certificateBaseUrl = `http://127.0.0.1:${DPCLAB_PORT}`;
  private adminToken = `dpclab-TEST-${randomBytes(12).toString("hex")}`;

  constructor(image: string = DPCLAB_DEFAULT_IMAGE) {
    super(image);
    this.withExposedPorts(DPCLAB_PORT);
  }

  /** How many virtual PIV cards the lab gets (default 4). */
  public withCards(count: number): this {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`withCards: a whole number of cards, at least 1 (got ${count})`);
    this.cards = count;
    return this;
  }

  /** Fixes cardholders, FASC-Ns, UUIDs, PINs and PUKs (keys are always fresh). */
  public withSeed(seed: string): this {
    this.seed = seed;
    return this;
  }

  /** The cards' key algorithm (default the CLI's, p256). */
  public withKeyAlgorithm(alg: DpclabKeyAlgorithm): this {
    this.alg = alg;
    return this;
  }

  /**
   * The http origin stamped into the certificates' AIA and CRL distribution points (default
   * `http://127.0.0.1:7800`, the lab as seen from inside its container). Relying parties that follow those URLs
   * from elsewhere need an origin that reaches the container (e.g. a network alias, or a fixed host port).
   */
  public withCertificateBaseUrl(url: string): this {
    if (!/^http:\/\/[^/]+$/.test(url)) throw new RangeError(`withCertificateBaseUrl: an http origin such as http://lab:7800 (got "${url}")`);
    this.certificateBaseUrl = url;
    return this;
  }

  /** The bearer token /__admin wants (default: a random TEST token; 16 characters or more). */
  public withAdminToken(token: string): this {
    if (token.length < 16) throw new RangeError("withAdminToken: the token needs 16 characters or more");
    this.adminToken = token;
    return this;
  }

  public override async start(): Promise<StartedDpclabContainer> {
    const create = ["cards", "create", "--dir", DPCLAB_CONTAINER_LAB_DIR, "--count", String(this.cards), "--base-url", this.certificateBaseUrl];
    if (this.seed !== undefined) create.push("--seed", this.seed);
    if (this.alg !== undefined) create.push("--alg", this.alg);
    const serve = ["serve", "--dir", DPCLAB_CONTAINER_LAB_DIR, "--host", "0.0.0.0", "--port", String(DPCLAB_PORT)];
    // One shell line: create the cards, then become `serve` (so SIGTERM from stop() reaches it).
    const script = `node bin/dpclab.js ${create.map(shellQuote).join(" ")} && exec node bin/dpclab.js ${serve.join(" ")}`;
    this.withEntrypoint(["/bin/sh", "-c"])
      .withCommand([script])
      .withEnvironment({ DPCLAB_LAB_DIR: DPCLAB_CONTAINER_LAB_DIR, DPCLAB_ADMIN_TOKEN: this.adminToken })
      // `serve` prints "ready" once it listens; cards take SoftHSM time, so the budget grows with the deck.
      .withWaitStrategy(Wait.forLogMessage(/^ready$/m))
      .withStartupTimeout(120_000 + 3_000 * this.cards);
    return new StartedDpclabContainer(await super.start(), this.adminToken, this.certificateBaseUrl);
  }
}

export class StartedDpclabContainer extends AbstractStartedContainer {
  private trustAnchor: string | undefined;

  constructor(
    startedTestContainer: StartedTestContainer,
    private readonly adminToken: string,
    private readonly certificateBaseUrl: string,
  ) {
    super(startedTestContainer);
  }

  /** The lab's origin as the host reaches it: tenant, issuers and PKI are under it (`/tenant`, `/issuers/…`, `/pki`). */
  public getBaseUrl(): string {
    return `http://${this.getHost()}:${this.getMappedPort(DPCLAB_PORT)}`;
  }

  /** The lab's admin API (virtual clock, fault knobs); send `Authorization: Bearer ${getAdminToken()}`. */
  public getAdminUrl(): string {
    return `${this.getBaseUrl()}/__admin`;
  }

  public getAdminToken(): string {
    return this.adminToken;
  }

  /** The origin the certificates' AIA and CRL distribution points carry (see withCertificateBaseUrl). */
  public getCertificateBaseUrl(): string {
    return this.certificateBaseUrl;
  }

  /** The lab's `DPCLAB TEST Root CA` certificate (PEM): the trust anchor for every chain the lab issues. */
  public async getTrustAnchorPem(): Promise<string> {
    if (this.trustAnchor === undefined) {
      const result = await this.exec(["cat", `${DPCLAB_CONTAINER_LAB_DIR}/piv-ca/root.pem`]);
      if (result.exitCode !== 0 || !result.stdout.includes("BEGIN CERTIFICATE")) {
        throw new Error(`dpclab container: cannot read the TEST root (${(result.stderr || result.output).trim().split("\n")[0]})`);
      }
      this.trustAnchor = result.stdout;
    }
    return this.trustAnchor;
  }
}

function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
