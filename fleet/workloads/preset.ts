import { usage } from "./spec.js";

/** `--preset`: a whole workload shape chosen by name ("none": enrol, then renew at each device's own threshold). */
export type FleetPreset = "none" | "renewal-storm";
export const PRESETS: readonly FleetPreset[] = ["none", "renewal-storm"];

export function parsePreset(text: string | undefined): FleetPreset {
  const preset = (text ?? "none") as FleetPreset;
  if (!PRESETS.includes(preset)) throw usage(`--preset must be one of ${PRESETS.join(", ")} (got ${JSON.stringify(text)})`);
  return preset;
}
