import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DpclabError } from "../../src/errors.js";
import type { CredentialFiles, LabTrust } from "./credential.js";
import { freePort, lastLines, type ProcessEnv, requireBinary, run, ServerProcess } from "./process.js";
import type { ServerIdentity } from "./server-identity.js";
import { findPkcs11Engine, tokenEnv, tokenKeyUri } from "./token-key.js";
import { reasonFromText, type Verdict } from "./verdict.js";

/**
 * Wi-Fi (WPA-Enterprise, EAP-TLS): FreeRADIUS 3.2 in the foreground on a high loopback port, requiring a client
 * certificate that chains to the lab's CAs and asking its OCSP responder (the certificate's AIA URL, no cache, no
 * soft-fail) about it. The client is `eapol_test` (wpa_supplicant's test tool) with the derived credential; the
 * verdict is eapol_test's SUCCESS/FAILURE, the reason FreeRADIUS's own log line.
 */
export class WifiRelyingParty {
  readonly kind = "wifi" as const;
  #seq = 0;

  private constructor(
    private readonly dir: string,
    private readonly identity: ServerIdentity,
    private readonly eapolTest: string,
    private readonly port: number,
    private readonly secret: string,
    private readonly server: ServerProcess,
    private readonly env: ProcessEnv | undefined,
  ) {}

  static async start(dir: string, trust: LabTrust, identity: ServerIdentity, env?: ProcessEnv): Promise<WifiRelyingParty> {
    const freeradius = requireBinary("freeradius");
    const eapolTest = requireBinary("eapol_test");
    const port = await freePort();
    const secret = randomBytes(12).toString("hex");
    const conf = join(dir, "raddb");
    rmSync(conf, { recursive: true, force: true });
    for (const d of ["run", "log", "tls-cache"]) mkdirSync(join(conf, d), { recursive: true, mode: 0o700 });
    writeFileSync(join(conf, "clients.conf"), `client lab {\n  ipaddr = 127.0.0.1\n  secret = ${secret}\n  require_message_authenticator = no\n}\n`, {
      mode: 0o600,
    });
    writeFileSync(
      join(conf, "radiusd.conf"),
      `# dpclab TEST relying party (Wi-Fi, EAP-TLS); written by dpclab, rewritten at each start
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = ${conf}
sbindir = /usr/sbin
logdir = ${conf}/log
raddbdir = ${conf}
radacctdir = ${conf}/log
name = freeradius
confdir = ${conf}
modconfdir = ${conf}/mods-config
run_dir = ${conf}/run
db_dir = ${conf}
libdir = /usr/lib/freeradius
pidfile = ${conf}/run/radiusd.pid
max_request_time = 30
cleanup_delay = 2
max_requests = 1024
hostname_lookups = no
log {
  destination = stdout
  colourise = no
  auth = yes
  auth_badpass = no
  auth_goodpass = no
}
security {
  allow_core_dumps = no
  max_attributes = 200
  reject_delay = 0
  status_server = no
}
thread pool {
  start_servers = 1
  max_servers = 4
  min_spare_servers = 1
  max_spare_servers = 2
  max_requests_per_server = 0
}
$INCLUDE clients.conf
modules {
  eap {
    default_eap_type = tls
    timer_expire = 60
    max_sessions = 256
    tls-config tls-common {
      private_key_file = ${identity.keyPath}
      certificate_file = ${identity.certPath}
      ca_file = ${trust.bundlePath}
${trust.pinned ? `      check_cert_issuer = "${trust.pinned.oneline}"\n` : ""}      cipher_list = "DEFAULT"
      tls_min_version = "1.2"
      tls_max_version = "1.2"
      ecdh_curve = "prime256v1"
      cache {
        enable = no
      }
      ocsp {
        enable = yes
        override_cert_url = no
        use_nonce = no
        timeout = 5
        softfail = no
      }
    }
    tls {
      tls = tls-common
    }
  }
}
server default {
  listen {
    type = auth
    ipaddr = 127.0.0.1
    port = ${port}
  }
  authorize {
    eap {
      ok = return
    }
  }
  authenticate {
    eap
  }
  post-auth {
    Post-Auth-Type REJECT {
      eap
    }
  }
}
`,
    );
    const server = await ServerProcess.start("freeradius", freeradius, ["-X", "-d", conf, "-n", "radiusd"], {
      ready: /Ready to process requests/,
      ...(env ? { env } : {}),
    });
    return new WifiRelyingParty(dir, identity, eapolTest, port, secret, server, env);
  }

  describe(): string {
    return `FreeRADIUS EAP-TLS on 127.0.0.1:${this.port} (OCSP at the certificate's responder, no soft-fail)`;
  }

  async authenticate(cred: CredentialFiles): Promise<Verdict> {
    const n = ++this.#seq;
    const clientCert = join(this.dir, `${n}-client.pem`);
    const network = join(this.dir, `${n}-eapol.conf`);
    writeFileSync(
      clientCert,
      `${readFileSync(cred.pivAuth.certPath, "utf8").trim()}\n${cred.chainPath ? `${readFileSync(cred.chainPath, "utf8").trim()}\n` : ""}`,
    );
    const token = cred.pivAuth.token;
    const engine = token ? findPkcs11Engine() : undefined;
    if (token && !engine) throw new DpclabError("a key in a token needs OpenSSL's pkcs11 engine: apt-get install libengine-pkcs11-openssl", "missing-binary");
    writeFileSync(
      network,
      `${token ? `pkcs11_engine_path=${engine}\npkcs11_module_path=${token.module}\n` : ""}network={
  ssid="DPCLAB TEST"
  key_mgmt=WPA-EAP
  eap=TLS
  identity="${cred.pivAuth.serialNumber}@dpclab.test"
  ca_cert="${this.identity.certPath}"
  client_cert="${clientCert}"
${
  token ? `  engine=1\n  engine_id="pkcs11"\n  key_id="${tokenKeyUri(token, false)}"\n  pin="${token.pin}"\n` : `  private_key="${cred.pivAuth.keyPath}"\n`
}  eapol_flags=0
}
`,
    );
    const from = this.server.output().length;
    const started = performance.now();
    try {
      const r = await run(this.eapolTest, ["-c", network, "-a", "127.0.0.1", "-p", String(this.port), "-s", this.secret, "-t", "15", "-r", "0"], {
        timeoutMs: 30_000,
        env: { ...this.env, ...tokenEnv(token) },
      });
      const latencyMs = performance.now() - started;
      const result = r.stdout.match(/^(SUCCESS|FAILURE)$/m)?.[1] ?? `no verdict (exit ${r.code}): ${lastLines(r.stdout + r.stderr, 1)}`;
      const accepted = result === "SUCCESS";
      // FreeRADIUS's own words: its OCSP verdict and the TLS alert or verify error it sent.
      await new Promise((resolve) => setTimeout(resolve, accepted ? 0 : 20));
      const log = this.server.output().slice(from);
      const said = log
        .split("\n")
        .map((l) => l.replace(/^\(\d+\)\s+/, "").trim())
        .filter(
          (l) =>
            /ocsp|verify error|OpenSSL says error|Certificate revoked|certificate verify failed|unknown ca|alert|does not match specified value/i.test(l) &&
            !/^#|^\s*\w+ = /.test(l),
        );
      const ocsp = said.find((l) => /ocsp/i.test(l) && /revoked|good|unknown|fail/i.test(l));
      const error =
        said.find((l) => /OpenSSL says error|verify error|does not match specified value/i.test(l)) ??
        said.find((l) => /error:/i.test(l)) ??
        said.find((l) => /alert/i.test(l));
      const detail = [...new Set([ocsp, error].filter(Boolean))].join("; ");
      return {
        kind: "wifi",
        accepted,
        reason: accepted ? "accepted" : reasonFromText(detail),
        line: `eapol_test: ${result}${detail ? ` — freeradius: ${detail}` : ""}`,
        latencyMs,
        relyingParty: this.describe(),
        serialNumber: cred.pivAuth.serialNumber,
      };
    } finally {
      rmSync(clientCert, { force: true });
      rmSync(network, { force: true });
    }
  }

  async close(): Promise<void> {
    await this.server.stop();
  }
}
