import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import type { CredentialFiles, LabTrust } from "./credential.js";
import { freePort, lastLines, type ProcessEnv, requireBinary, ServerProcess } from "./process.js";
import type { ServerIdentity } from "./server-identity.js";
import { reasonFromText, type Verdict } from "./verdict.js";

/**
 * App authentication: nginx requiring a client certificate (`ssl_verify_client on`) that chains to the lab's TEST root,
 * with every certificate of the chain checked at the lab's OCSP responders (`ssl_ocsp on`, the AIA's URL, no cache).
 * With a pinned issuer (LabTrust.pinned) only its certificates get through (403 otherwise).
 * The client is node:tls presenting the derived credential; the verdict is nginx's HTTP status and its error log line.
 */
export class AppRelyingParty {
  readonly kind = "app" as const;

  private constructor(
    private readonly server: ServerProcess,
    private readonly port: number,
    private readonly identity: ServerIdentity,
    private readonly errorLog: string,
  ) {}

  static async start(dir: string, trust: LabTrust, identity: ServerIdentity, env?: ProcessEnv): Promise<AppRelyingParty> {
    const nginx = requireBinary("nginx");
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
    return new AppRelyingParty(server, port, identity, errorLog);
  }

  describe(): string {
    return `nginx on 127.0.0.1:${this.port} (ssl_verify_client on, ssl_ocsp on)`;
  }

  async authenticate(cred: CredentialFiles): Promise<Verdict> {
    const logFrom = readFileSync(this.errorLog, "utf8").length;
    const cert = readFileSync(cred.pivAuth.certPath, "utf8") + (cred.chainPath ? readFileSync(cred.chainPath, "utf8") : "");
    const started = performance.now();
    const { status, body } = await new Promise<{ status: number; body: string }>((done, fail) => {
      const req = request(
        {
          host: "127.0.0.1",
          port: this.port,
          path: "/",
          method: "GET",
          cert,
          key: readFileSync(cred.pivAuth.keyPath),
          ca: readFileSync(this.identity.certPath),
          agent: false,
          timeout: 15_000,
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (d) => {
            text += d;
          });
          res.on("end", () => done({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on("timeout", () => req.destroy(new Error("nginx did not answer within 15 s")));
      req.on("error", fail);
      req.end();
    });
    const latencyMs = performance.now() - started;
    const accepted = status === 200;
    const log = readFileSync(this.errorLog, "utf8").slice(logFrom);
    const logLine = log.split("\n").find((l) => /verify error|ocsp|certificate/i.test(l)) ?? "";
    const detail = logLine.replace(/^.*?\[\w+\] \d+#\d+: (\*\d+ )?/, "").replace(/, client: .*$/, "");
    return {
      kind: "app",
      accepted,
      reason: accepted ? "accepted" : reasonFromText(detail || body),
      line: accepted ? `HTTP ${status}: ${body.trim()}` : `HTTP ${status}${detail ? ` — nginx: ${detail}` : ` ${lastLines(body, 1)}`}`,
      latencyMs,
      relyingParty: this.describe(),
      serialNumber: cred.pivAuth.serialNumber,
    };
  }

  async close(): Promise<void> {
    await this.server.stop();
  }
}
