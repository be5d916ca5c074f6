import type { Platform } from "../../emulators/derived/index.js";
import { DpclabError } from "../../src/errors.js";
import type { SeededRandom } from "../../src/random.js";

/** A fleet's platform shares, e.g. `ios:60,android:40` (weights, not necessarily summing to 100). */
export type PlatformMix = readonly { platform: Platform; weight: number }[];

export const DEFAULT_MIX: PlatformMix = [
  { platform: "ios", weight: 60 },
  { platform: "android", weight: 40 },
];

/** Parses `ios:60,android:40`; a bad spec is a one-line "usage" error. */
export function parseMix(spec: string): PlatformMix {
  const out: { platform: Platform; weight: number }[] = [];
  for (const part of spec.split(",")) {
    const m = /^\s*(ios|android)\s*:\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!m) throw new DpclabError(`bad --mix part ${JSON.stringify(part)} (use e.g. ios:60,android:40)`, "usage");
    const platform = m[1] as Platform;
    if (out.some((p) => p.platform === platform)) throw new DpclabError(`--mix names ${platform} twice`, "usage");
    out.push({ platform, weight: Number(m[2]) });
  }
  if (!out.some((p) => p.weight > 0)) throw new DpclabError("--mix needs at least one platform with a positive weight", "usage");
  return out;
}

/** One draw from `random` picks a platform in proportion to the weights. */
export function pickPlatform(mix: PlatformMix, random: SeededRandom): Platform {
  const total = mix.reduce((s, p) => s + p.weight, 0);
  let u = random.next() * total;
  for (const p of mix) {
    if (u < p.weight) return p.platform;
    u -= p.weight;
  }
  return mix.filter((p) => p.weight > 0).at(-1)!.platform;
}
