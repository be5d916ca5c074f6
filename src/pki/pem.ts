/** PEM armour (RFC 7468) for DER blobs. */
export function toPem(der: ArrayBuffer | Uint8Array, label: string): string {
  const b64 = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** The DER inside the first PEM block with this label (any label when omitted). */
export function fromPem(pem: string, label?: string): Uint8Array {
  const tag = label ? label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") : "[A-Z0-9 ]+";
  const m = new RegExp(`-----BEGIN (${tag})-----([\\s\\S]*?)-----END \\1-----`).exec(pem);
  if (!m) throw new Error(`no PEM block${label ? ` "${label}"` : ""} found`);
  return new Uint8Array(Buffer.from((m[2] ?? "").replace(/\s+/g, ""), "base64"));
}
