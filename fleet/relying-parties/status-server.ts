import type { IssuingAuthority } from "../../emulators/shared/index.js";
import { publicationRoutes, type RunningServer, router, serve } from "../../emulators/shared/index.js";
import { DpclabError } from "../../src/errors.js";

/**
 * The lab's CRLs and OCSP responders for real relying parties while the agents' requests stay in the process. A new
 * lab takes `url` for the base URL its certificates name, so the port is held from the start (a free port picked
 * and bound later could be taken in between); a lab that already names one (`at`) must find it free. No fault
 * injection: the fleet's --faults are about the issuers and tenant, and a status answer lost to them would read as a
 * refusal.
 */
export async function serveStatus(authority: (caName: string) => IssuingAuthority | undefined, at?: string): Promise<RunningServer> {
  let port = 0;
  if (at !== undefined) {
    const url = new URL(at);
    if (url.protocol !== "http:" || url.hostname !== "127.0.0.1" || url.port === "")
      throw new DpclabError(`the lab's certificates name ${at}: relying parties need it to be http://127.0.0.1:PORT`, "usage");
    port = Number(url.port);
  }
  try {
    return await serve(router(publicationRoutes(authority)), { host: "127.0.0.1", port });
  } catch (error) {
    if ((error as { code?: string }).code === "EADDRINUSE")
      throw new DpclabError(`${at} is in use: the lab's certificates name it for their CRLs and OCSP, so the relying parties need it free`, "usage");
    throw error;
  }
}
