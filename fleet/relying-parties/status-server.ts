import type { IssuingAuthority } from "../../emulators/shared/index.js";
import { publicationRoutes, type RunningServer, router, serve } from "../../emulators/shared/index.js";
import { DpclabError } from "../../src/errors.js";

/**
 * The lab's CRLs and OCSP responders at the base URL its certificates name, for the real relying parties of an
 * in-process fleet: nothing else listens there while the agents' requests stay in the process. No fault injection:
 * the fleet's --faults are about the issuers and tenant, and a status answer lost to them would read as a refusal.
 */
export async function serveStatus(baseUrl: string, authority: (caName: string) => IssuingAuthority | undefined): Promise<RunningServer> {
  const url = new URL(baseUrl);
  if (url.protocol !== "http:" || url.hostname !== "127.0.0.1" || url.port === "")
    throw new DpclabError(`the lab's certificates name ${baseUrl}: relying parties need it to be http://127.0.0.1:PORT`, "usage");
  try {
    return await serve(router(publicationRoutes(authority)), { host: "127.0.0.1", port: Number(url.port) });
  } catch (error) {
    if ((error as { code?: string }).code === "EADDRINUSE")
      throw new DpclabError(`${baseUrl} is in use: the lab's certificates name it for their CRLs and OCSP, so the relying parties need it free`, "usage");
    throw error;
  }
}
