import { DpclabError } from "../../src/errors.js";

/**
 * Where a simulated device's request comes from: the lab's stand-in for network topology. The device's client sets
 * it from the device's connectivity; Purebred gates on it (docs/intune.md §1.8), the others record it.
 */
export const NETWORK_ZONE_HEADER = "x-dpclab-network-zone";
export type NetworkZone = "on-premises" | "internet";

/** The stated zone, undefined when the header is absent; 400 "bad-network-zone" for any other value. */
export function networkZone(req: Request): NetworkZone | undefined {
  const v = req.headers.get(NETWORK_ZONE_HEADER);
  if (v === null) return undefined;
  if (v !== "on-premises" && v !== "internet") {
    throw new DpclabError(`${NETWORK_ZONE_HEADER} must be "on-premises" or "internet" (got "${v.slice(0, 40)}")`, "bad-network-zone", 400);
  }
  return v;
}
