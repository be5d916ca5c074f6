import { writeFileSync } from "node:fs";

/**
 * Fetches each CRL from the lab's CRL URLs (what the certificates' CRL distribution points name) and writes them all,
 * PEM, into one file: the relying party's own, freshly re-fetched CRLs. A CA whose CRL cannot be fetched is left out
 * (the relying party then finds no CRL for it and refuses: status unknown).
 */
export async function fetchCrls(urls: string[], path: string): Promise<{ fetched: number; failed: string[] }> {
  // In the URLs' order, whatever order the answers came in: the same CRLs make the same file (vpn.ts compares them).
  const pems = await Promise.all(
    urls.map(async (url) => {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
        if (!res.ok) throw new Error(String(res.status));
        const der = Buffer.from(await res.arrayBuffer());
        const b64 = der.toString("base64").replace(/.{1,64}/g, "$&\n");
        return `-----BEGIN X509 CRL-----\n${b64}-----END X509 CRL-----\n`;
      } catch {
        return undefined;
      }
    }),
  );
  writeFileSync(path, pems.filter((p) => p !== undefined).join(""));
  return { fetched: pems.filter((p) => p !== undefined).length, failed: urls.filter((_, i) => pems[i] === undefined) };
}
