import { NETWORK_ZONE_HEADER } from "../../emulators/shared/index.js";
import type { JsonClient } from "./http-json.js";
import type { SimulatedDevice } from "./simulated-device.js";

/**
 * The phone's own HTTP client: it carries no kiosk session (the kiosk is another machine) and it says which network
 * the request travels over, which Purebred checks (docs/intune.md §1.8: on-premises network access needed).
 */
export function deviceClient(client: JsonClient, device: Pick<SimulatedDevice, "onPremisesNetwork">): JsonClient {
  return client.withHeaders({ authorization: undefined, [NETWORK_ZONE_HEADER]: device.onPremisesNetwork ? "on-premises" : "internet" });
}
