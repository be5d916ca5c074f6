import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { DpclabError } from "../../src/errors.js";
import type { CredentialFiles, LabTrust } from "./credential.js";
import { fetchCrls } from "./crl-fetch.js";
import { freePort, type ProcessEnv, requireBinary, run, ServerProcess } from "./process.js";
import type { ServerIdentity } from "./server-identity.js";
import { type TokenKey, tokenEnv } from "./token-key.js";
import { reasonFromText, type Verdict } from "./verdict.js";

const VERDICT = /Peer Connection Initiated with[^\n]*|VERIFY (SCRIPT )?ERROR[^\n]*|TLS Error: [^\n]*/;
const OCSP_LINE = /^OCSP: [^\n]*/m;
const ISSUER_LINE = /^ISSUER: [^\n]*/m;

/**
 * VPN: an OpenVPN 2.6 server in TLS mode with `--dev null` (no root, no tun: the control channel is the whole
 * authentication), client certificate required against the lab's CAs, status checked either with `--crl-verify`
 * (the CAs' CRLs, re-fetched from the lab before each authentication; OpenVPN re-reads the file when it changed) or
 * with a `--tls-verify` script that asks the certificate's OCSP responder with `openssl ocsp`. The client is OpenVPN
 * with the derived credential; the verdict is the server's own log line.
 */
export class VpnRelyingParty {
  readonly kind = "vpn" as const;

  private constructor(
    private readonly dir: string,
    private readonly trust: LabTrust,
    private readonly identity: ServerIdentity,
    private readonly status: "crl" | "ocsp",
    private readonly openvpn: string,
    private readonly port: number,
    private server: ServerProcess,
    private readonly env: ProcessEnv | undefined,
    private readonly serverArgs: string[],
  ) {}

  static async start(dir: string, trust: LabTrust, identity: ServerIdentity, status: "crl" | "ocsp", env?: ProcessEnv): Promise<VpnRelyingParty> {
    const openvpn = requireBinary("openvpn");
    const openssl = requireBinary("openssl");
    const port = await freePort();
    const crlPath = join(dir, "crl.pem");
    const args = [
      "--tls-server",
      "--dev",
      "null",
      "--proto",
      "udp",
      "--local",
      "127.0.0.1",
      "--port",
      String(port),
      // TLS (p2p) mode serves one peer; --float lets each new client's handshake in, without a restart in between.
      "--float",
      "--ca",
      trust.bundlePath,
      "--cert",
      identity.certPath,
      "--key",
      identity.keyPath,
      "--dh",
      "none",
      "--verb",
      "3",
      "--hand-window",
      "10",
    ];
    if (status === "crl") {
      await fetchCrls(trust.crlUrls, crlPath);
      args.push("--crl-verify", crlPath);
    }
    if (status === "ocsp" || trust.pinned) {
      const exported = join(dir, "peer-certs");
      mkdirSync(exported, { recursive: true, mode: 0o700 });
      const script = join(dir, "tls-verify.sh");
      // The pinned issuer's RFC 2253 subject, single-quoted for sh (a lab DN has no single quote).
      const pin = trust.pinned
        ? `i=$(${openssl} x509 -in "$peer_cert" -noout -issuer -nameopt RFC2253 | sed 's/^issuer=//')
[ "$i" = '${trust.pinned.rfc2253}' ] || { echo "ISSUER: $i is not the pinned issuer (untrusted)"; exit 1; }
`
        : "";
      const ocsp =
        status === "ocsp"
          ? `h=$(${openssl} x509 -in "$peer_cert" -noout -issuer_hash) || { echo "OCSP: unreadable peer certificate"; exit 1; }
url=$(${openssl} x509 -in "$peer_cert" -noout -ocsp_uri)
[ -n "$url" ] || { echo "OCSP: the certificate names no OCSP responder"; exit 1; }
[ -f "${trust.byHashDir}/$h.pem" ] || { echo "OCSP: issuer not a lab CA (untrusted)"; exit 1; }
out=$(${openssl} ocsp -issuer "${trust.byHashDir}/$h.pem" -cert "$peer_cert" -url "$url" -CAfile "${trust.bundlePath}" -timeout 10 -no_nonce 2>&1)
line=$(printf '%s\\n' "$out" | grep -m1 "^$peer_cert: " | sed "s|^$peer_cert: ||")
echo "OCSP: \${line:-no answer} ($url)"
[ "$line" = good ]
`
          : "exit 0\n";
      writeFileSync(
        script,
        `#!/bin/sh
# dpclab TEST relying party (VPN): the client certificate's issuer (when one is pinned) and its status from its own
# OCSP responder (openssl ocsp, when the status check is OCSP). OpenVPN calls this once per certificate of the chain:
# $1 is the depth; only the client's own (0) is checked here.
[ "$1" = 0 ] || exit 0
${pin}${ocsp}`,
      );
      chmodSync(script, 0o700);
      args.push("--script-security", "2", "--tls-export-cert", exported, "--tls-verify", script);
    }
    return new VpnRelyingParty(dir, trust, identity, status, openvpn, port, await VpnRelyingParty.#serve(openvpn, args, env), env, args);
  }

  static #serve(openvpn: string, args: string[], env: ProcessEnv | undefined): Promise<ServerProcess> {
    return ServerProcess.start("openvpn server", openvpn, args, { ready: /UDPv4 link local \(bound\)/, ...(env ? { env } : {}) });
  }

  describe(): string {
    return `OpenVPN server on 127.0.0.1:${this.port} (--dev null, client certificate required, ${this.status === "crl" ? "--crl-verify, CRLs re-fetched" : "OCSP via --tls-verify"})`;
  }

  /**
   * OpenVPN's TLS-mode server serves one peer at a time; now and then, after a client that was refused or stopped,
   * it spends its whole handshake window on that old peer and the next one times out without any verdict on its
   * certificate. That is the server's state, not a judgement: it starts again and the exchange is made once more,
   * and after every refusal it starts again anyway (~0.1 s), before the next client meets the stale peer.
   */
  async authenticate(cred: CredentialFiles): Promise<Verdict> {
    let verdict = await this.#exchange(cred);
    if (!verdict.accepted && /TLS key negotiation failed/.test(verdict.line) && !/VERIFY/.test(verdict.line)) {
      await this.#restart();
      verdict = await this.#exchange(cred);
    }
    // After a refusal the old peer is what stalls the next handshake: the next client gets a fresh server.
    if (!verdict.accepted) await this.#restart();
    return verdict;
  }

  /**
   * Its timers (handshake window, renegotiation) run on the clock it reads: after a jump it would spend a handshake
   * window on the last peer before it takes a new one, so it starts again instead (~0.1 s).
   */
  clockJumped(): Promise<void> {
    return this.#restart();
  }

  async #restart(): Promise<void> {
    await this.server.stop();
    this.server = await VpnRelyingParty.#serve(this.openvpn, this.serverArgs, this.env);
  }

  async #exchange(cred: CredentialFiles): Promise<Verdict> {
    if (this.status === "crl") await this.#refreshCrls();
    const token = cred.pivAuth.token;
    // A key in a token: pkcs11-helper finds it by its serialized id, and OpenVPN asks the PIN on its management port.
    const management = token ? await freePort() : undefined;
    const key =
      token && management
        ? [
            "--pkcs11-providers",
            token.module,
            "--pkcs11-id",
            await this.#pkcs11Id(token, cred.pivAuth.serialNumber),
            "--management",
            "127.0.0.1",
            String(management),
            "--management-query-passwords",
          ]
        : ["--key", cred.pivAuth.keyPath];
    const from = this.server.output().length;
    const started = performance.now();
    const client = await ServerProcess.start(
      "openvpn client",
      this.openvpn,
      [
        "--tls-client",
        "--dev",
        "null",
        "--proto",
        "udp",
        "--remote",
        "127.0.0.1",
        String(this.port),
        "--nobind",
        "--ca",
        this.identity.certPath,
        // With a token, pkcs11-helper takes the certificate from the token too.
        ...(token ? [] : ["--cert", cred.pivAuth.certPath]),
        ...(cred.chainPath ? ["--extra-certs", cred.chainPath] : []),
        ...key,
        "--verb",
        "3",
        "--hand-window",
        "10",
      ],
      {
        ready: management ? /MANAGEMENT: TCP Socket listening/ : /UDPv4 link (local|remote)/,
        timeoutMs: 10_000,
        env: { ...this.env, ...tokenEnv(token) },
      },
    );
    try {
      if (token && management) await answerPin(management, token.pin);
      const m = await this.server.waitFor(VERDICT, 15_000, from);
      const latencyMs = performance.now() - started;
      const line = m[0].replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d /, "").trim();
      const accepted = line.startsWith("Peer Connection Initiated") || /\] Peer Connection Initiated/.test(line);
      const out = this.server.output().slice(from);
      const said = [out.match(ISSUER_LINE)?.[0], out.match(OCSP_LINE)?.[0], line].filter(Boolean).join("; ");
      return {
        kind: "vpn",
        accepted,
        reason: accepted ? "accepted" : reasonFromText(said),
        line: `openvpn: ${said}`,
        latencyMs,
        relyingParty: this.describe(),
        serialNumber: cred.pivAuth.serialNumber,
      };
    } finally {
      await client.stop();
    }
  }

  async close(): Promise<void> {
    await this.server.stop();
  }

  /**
   * Re-fetches the CAs' CRLs before an authentication. OpenVPN's TLS-mode server does not take a changed CRL file
   * into a running session, so — as a CRL refresh job reloads OpenVPN — it starts again when the CRLs changed.
   */
  async #refreshCrls(): Promise<void> {
    const crlPath = join(this.dir, "crl.pem");
    const before = existsSync(crlPath) ? readFileSync(crlPath, "utf8") : "";
    await fetchCrls(this.trust.crlUrls, crlPath);
    if (readFileSync(crlPath, "utf8") !== before) await this.#restart();
  }

  readonly #ids = new Map<string, string>();

  /** pkcs11-helper's serialized id of the token certificate with this serial (`openvpn --show-pkcs11-ids`). */
  async #pkcs11Id(token: TokenKey, serialNumber: string): Promise<string> {
    const known = this.#ids.get(serialNumber);
    if (known) return known;
    const r = await run(this.openvpn, ["--show-pkcs11-ids", token.module], { env: tokenEnv(token) });
    for (const block of r.stdout.split(/\n\s*\n/)) {
      const serial = block.match(/Serial:\s*([0-9A-Fa-f]+)/)?.[1]?.toLowerCase();
      const id = block.match(/Serialized id:\s*(\S+)/)?.[1];
      if (serial && id) this.#ids.set(serial, id);
    }
    const id = this.#ids.get(serialNumber);
    if (!id) throw new DpclabError(`no certificate with serial ${serialNumber} in the tokens of ${token.module}`, "bad-credential");
    return id;
  }
}

/** Answers OpenVPN's PIN request on its management port (`>PASSWORD:Need '… token' password`). */
function answerPin(port: number, pin: string): Promise<void> {
  return new Promise((done, fail) => {
    const socket = connect(port, "127.0.0.1");
    let said = "";
    const timer = setTimeout(() => {
      socket.destroy();
      fail(new DpclabError(`OpenVPN asked no PIN on its management port within 10 s: ${said.slice(-200)}`, "relying-party-timeout", 500));
    }, 10_000);
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => {
      said += d;
      const asked = said.match(/>PASSWORD:Need '([^']*)' password/);
      if (asked) {
        clearTimeout(timer);
        socket.end(`password "${asked[1]!.replace(/["\\]/g, "\\$&")}" "${pin.replace(/["\\]/g, "\\$&")}"\n`);
        done();
      }
    });
    socket.on("error", (error) => {
      clearTimeout(timer);
      fail(error);
    });
  });
}
