import { DpclabError } from "../../src/errors.js";
import { NETWORK_ZONE_HEADER } from "../shared/index.js";

/**
 * Where a simulated request comes from. A device reaches Purebred only over the on-premises network: the 2019–2020
 * docs required a per-app VPN for the Purebred app, the 2022+ docs only on-premises access through corporate Wi-Fi or
 * a VPN, the per-app VPN being optional (docs/intune.md §1.8, §0). The simulated device says its zone in a header.
 */

/** 403 "no-on-premises-network" unless the request says it comes from the on-premises network. */
export function requireOnPremises(req: Request): void {
  const zone = (req.headers.get(NETWORK_ZONE_HEADER) ?? "").trim().toLowerCase();
  if (zone === "on-premises") return;
  throw new DpclabError(
    `DISA Purebred is reachable only from the on-premises network (request came from ${zone ? `"${zone}"` : "an unstated zone"}): ` +
      "connect the device to corporate Wi-Fi or the VPN (a per-app VPN for the Purebred app also works) and retry — docs/intune.md §1.8. " +
      "Do not make that Wi-Fi/VPN profile depend on the derived credential itself, or the user is deadlocked (§1.7).",
    "no-on-premises-network",
    403,
  );
}
