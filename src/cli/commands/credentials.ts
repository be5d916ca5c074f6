import { DpclabError } from "../../errors.js";
import { LabDir } from "../../lab/index.js";
import { parseRevocationReason } from "../../pki/index.js";
import { parseFlags, requireFlag } from "../args.js";

const REVOKE = "dpclab credentials revoke [--dir D] --serial S [--reason keyCompromise] [--url URL]";

export async function credentialsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "revoke") return revoke(rest);
  throw new DpclabError(`unknown credentials command "${sub ?? ""}" (revoke)`, "usage");
}

async function revoke(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { dir: { type: "string" }, serial: { type: "string" }, reason: { type: "string" }, url: { type: "string" } }, REVOKE);
  const serial = requireFlag(values.serial, "--serial", REVOKE).toLowerCase().replace(/:/g, "");
  if (!/^[0-9a-f]{1,40}$/.test(serial)) throw new DpclabError(`--serial must be the certificate's serial number in hex (got "${values.serial}")`, "usage");
  const reason = parseRevocationReason(values.reason ?? "keyCompromise");
  // The served lab's lost-device report is the one revocation path its admin API offers: keyCompromise (DC-TRM-01).
  if (reason !== "keyCompromise")
    throw new DpclabError(`a derived credential is revoked here as keyCompromise (the lab's lost-device report); got --reason ${reason}`, "usage");
  const lab = new LabDir(values.dir);
  if (!values.url && !lab.exists()) throw new DpclabError(`no lab in ${lab.root} (or name the served lab with --url)`, "usage");
  const url = (values.url ?? lab.readConfig().baseUrl).replace(/\/+$/, "");
  if (!/^https?:\/\/[^/]+$/.test(url)) throw new DpclabError(`--url must be an origin such as http://127.0.0.1:7800 (got "${url}")`, "usage");
  // The issuers keep their credentials in the serving process: revoke there, so its OCSP and CRLs say so at once.
  const get = async (path: string, init?: RequestInit): Promise<{ status: number; body: unknown }> => {
    let res: Response;
    try {
      res = await fetch(`${url}${path}`, { ...init, signal: AbortSignal.timeout(15_000) });
    } catch {
      throw new DpclabError(`no lab answers at ${url}: derived credentials live in \`dpclab serve\`; start it (dpclab serve --dir ${lab.root})`, "not-served");
    }
    return { status: res.status, body: await res.json().catch(() => undefined) };
  };
  const found = await get(`/__admin/certificates/${serial}`);
  if (found.status === 404) throw new DpclabError(`no CA of the lab at ${url} issued serial ${serial}`, "unknown-serial");
  if (found.status !== 200) throw new DpclabError(`the lab at ${url} answered ${found.status} for serial ${serial}`, "lab-error");
  const cert = (found.body as { certificates: { ca: string; ref: string; status: string }[] }).certificates[0];
  if (!cert || !/^dc:[^/]+\/piv-auth$/.test(cert.ref))
    throw new DpclabError(
      `serial ${serial} (${cert?.ca ?? "?"}, ${cert?.ref ?? "?"}) is not a derived PIV Authentication certificate${cert?.ca === "piv-ca" ? ": use dpclab cards revoke" : ""}`,
      "usage",
    );
  if (cert.status === "revoked") {
    console.log(`derived credential ${serial} at ${cert.ca} was already revoked`);
    return 0;
  }
  const devices = await get("/tenant/beta/deviceManagement/managedDevices");
  const device = ((devices.body as { value?: { id: string; derivedCredential?: { serialNumber?: string } }[] })?.value ?? []).find(
    (d) => d.derivedCredential?.serialNumber?.toLowerCase() === serial,
  );
  if (!device) throw new DpclabError(`no managed device of the tenant at ${url} holds derived credential ${serial}; nothing revoked`, "not-found");
  const lost = await get(`/__admin/devices/${device.id}/lost`, { method: "POST" });
  if (lost.status !== 200) throw new DpclabError(`the lab at ${url} refused to revoke (${lost.status}): ${JSON.stringify(lost.body)}`, "lab-error");
  const revoked = (lost.body as { revoked: { issuer: string; serialNumber: string }[] }).revoked;
  console.log(
    `revoked derived credential ${serial} at ${cert.ca} (keyCompromise), through the lab's lost-device report for device ${device.id}: ${revoked.length} credential(s) revoked, the device retired from the tenant`,
  );
  return 0;
}
