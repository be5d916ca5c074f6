import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CredentialFiles, LabTrust } from "./credential.js";
import { freePort, lastLines, type ProcessEnv, requireBinary, run, ServerProcess } from "./process.js";
import type { ServerIdentity } from "./server-identity.js";
import { tokenEnv, tokenKeyUri } from "./token-key.js";
import { reasonFromText, type Verdict } from "./verdict.js";

/**
 * App authentication: nginx requiring a client certificate (`ssl_verify_client on`) that chains to the lab's TEST root,
 * with every certificate of the chain checked at the lab's OCSP responders (`ssl_ocsp on`, the AIA's URL, no cache).
 * With a pinned issuer (LabTrust.pinned) only its certificates get through (403 otherwise).
 * The client is curl presenting the credential (its key from a file, or from a card's token through OpenSSL's pkcs11
 * engine); the verdict is nginx's HTTP status and its error log line.
 */
export class AppRelyingParty {
  readonly kind = "app" as const;
  #seq = 0;

  private constructor(
    private readonly dir: string,
    private readonly server: ServerProcess,
    private readonly port: number,
    private readonly identity: ServerIdentity,
    private readonly errorLog: string,
    private readonly curl: string,
    private readonly env: ProcessEnv | undefined,
  ) {}

  static async start(dir: string, trust: LabTrust, identity: ServerIdentity, env?: ProcessEnv): Promise<AppRelyingParty> {
    const nginx = requireBinary("nginx");
    const curl = requireBinary("curl");
    for (const d of ["logs", "tmp"]) mkdirSync(join(dir, d), { recursive: true });
    const port = await freePort();
    const errorLog = join(dir, "logs", "error.log");
    writeFileSync(errorLog, "");
    const conf = join(dir, "nginx.conf");
    writeFileSync(
      conf,
      `# dpclab TEST relying party (app authentication); written by dpclab, rewritten at each start
${
  // nginx clears its environment but for the variables named here; libfaketime reads its own at every clock call.
  Object.keys(env ?? {})
    .map((name) => `env ${name};\n`)
    .join("")
}daemon off;
master_process off;
worker_processes 1;
pid ${join(dir, "nginx.pid")};
error_log ${errorLog} info;
events { worker_connections 64; }
http {
  access_log ${join(dir, "logs", "access.log")};
  client_body_temp_path ${join(dir, "tmp", "body")};
  proxy_temp_path ${join(dir, "tmp", "proxy")};
  fastcgi_temp_path ${join(dir, "tmp", "fastcgi")};
  uwsgi_temp_path ${join(dir, "tmp", "uwsgi")};
  scgi_temp_path ${join(dir, "tmp", "scgi")};
${trust.pinned ? `  map_hash_bucket_size 256;\n  map $ssl_client_i_dn $dpclab_pinned_issuer {\n    "${trust.pinned.rfc2253}" 1;\n    default 0;\n  }\n` : ""}  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${identity.certPath};
    ssl_certificate_key ${identity.keyPath};
    ssl_client_certificate ${trust.bundlePath};
    ssl_verify_client on;
    ssl_verify_depth 4;
    ssl_ocsp on;
    location / {
      default_type text/plain;
${
  trust.pinned
    ? `      if ($dpclab_pinned_issuer = 0) {
        return 403 "untrusted: issued by $ssl_client_i_dn, not the pinned issuer\\n";
      }\n`
    : ""
}      return 200 "accepted $ssl_client_serial\\n";
    }
  }
}
`,
    );
    const server = await ServerProcess.start("nginx", nginx, ["-p", dir, "-c", conf, "-e", errorLog], { ready: port, ...(env ? { env } : {}) });
    return new AppRelyingParty(dir, server, port, identity, errorLog, curl, env);
  }

  describe(): string {
    return `nginx on 127.0.0.1:${this.port} (ssl_verify_client on, ssl_ocsp on)`;
  }

  async authenticate(cred: CredentialFiles): Promise<Verdict> {
    const logFrom = readFileSync(this.errorLog, "utf8").length;
    const n = ++this.#seq;
    // The client certificate with the intermediates after it: what curl (OpenSSL) sends as the client's chain.
    const clientCert = join(this.dir, `${n}-client.pem`);
    const bodyFile = join(this.dir, `${n}-body.txt`);
    writeFileSync(clientCert, `${readFileSync(cred.pivAuth.certPath, "utf8").trim()}\n${cred.chainPath ? readFileSync(cred.chainPath, "utf8") : ""}`);
    const token = cred.pivAuth.token;
    const key = token ? ["--engine", "pkcs11", "--key-type", "ENG", "--key", tokenKeyUri(token, true)] : ["--key", cred.pivAuth.keyPath];
    const started = performance.now();
    let status: number;
    let body: string;
    let curlSaid: string;
    try {
      const r = await run(
        this.curl,
        [
          "-sS",
          "--max-time",
          "15",
          "--cacert",
          this.identity.certPath,
          "--cert",
          clientCert,
          ...key,
          "-o",
          bodyFile,
          "-w",
          "%{http_code}",
          `https://127.0.0.1:${this.port}/`,
        ],
        { timeoutMs: 20_000, env: { ...this.env, ...tokenEnv(token) } },
      );
      status = Number(r.stdout.trim()) || 0;
      body = existsSync(bodyFile) ? readFileSync(bodyFile, "utf8") : "";
      curlSaid = r.code === 0 ? "" : lastLines(r.stderr, 1);
    } finally {
      rmSync(clientCert, { force: true });
      rmSync(bodyFile, { force: true });
    }
    const latencyMs = performance.now() - started;
    const accepted = status === 200;
    const log = readFileSync(this.errorLog, "utf8").slice(logFrom);
    const logLine = log.split("\n").find((l) => /verify error|ocsp|certificate/i.test(l)) ?? "";
    const detail = logLine.replace(/^.*?\[\w+\] \d+#\d+: (\*\d+ )?/, "").replace(/, client: .*$/, "");
    return {
      kind: "app",
      accepted,
      reason: accepted ? "accepted" : reasonFromText(detail || body || curlSaid),
      line: accepted
        ? `HTTP ${status}: ${body.trim()}`
        : `HTTP ${status}${detail ? ` — nginx: ${detail}` : body ? ` ${lastLines(body, 1)}` : ` — curl: ${curlSaid}`}`,
      latencyMs,
      relyingParty: this.describe(),
      serialNumber: cred.pivAuth.serialNumber,
    };
  }

  async close(): Promise<void> {
    await this.server.stop();
  }
}
