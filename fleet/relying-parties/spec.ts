import type { Platform } from "../../emulators/derived/index.js";
import { isRelyingPartyKind, RELYING_PARTY_KINDS, type RelyingPartyKind } from "../../emulators/relying-party/index.js";
import { DpclabError } from "../../src/errors.js";
import { deviceRandom } from "../sim/index.js";

/** Which relying parties judge the fleet's credentials, and the share of devices each one sees. */
export type RelyingPartyShares = ReadonlyMap<RelyingPartyKind, number>;

/** The share of devices that really authenticate when the spec gives none: enough for percentiles, few processes busy. */
export const DEFAULT_SHARE = 0.1;

/**
 * `--relying-parties wifi,vpn,app,smime[:SHARE]`: the kinds, each with an optional share of the devices (0 < share
 * ≤ 1). A kind without its own share takes the last share the list gives, else DEFAULT_SHARE — so
 * `wifi,vpn,app,smime:0.2` is a fifth of the devices at every relying party.
 */
export function parseRelyingParties(spec: string | undefined): RelyingPartyShares | undefined {
  if (spec === undefined) return undefined;
  const usage = (why: string) =>
    new DpclabError(`--relying-parties ${why} (expected kinds from ${RELYING_PARTY_KINDS.join(",")}, each with an optional :SHARE in (0, 1])`, "usage");
  const items = spec.split(",").map((s) => s.trim());
  if (items.length === 0 || items.some((s) => s === "")) throw usage(`has an empty item in ${JSON.stringify(spec)}`);
  if (items.length > RELYING_PARTY_KINDS.length) throw usage(`names more than ${RELYING_PARTY_KINDS.length} kinds`);
  const parsed: { kind: RelyingPartyKind; share: number | undefined }[] = [];
  for (const item of items) {
    const [kind = "", share, extra] = item.split(":");
    if (extra !== undefined) throw usage(`has a malformed item ${JSON.stringify(item)}`);
    if (!isRelyingPartyKind(kind)) throw usage(`has an unknown kind ${JSON.stringify(kind)}`);
    if (parsed.some((p) => p.kind === kind)) throw usage(`names ${kind} twice`);
    let value: number | undefined;
    if (share !== undefined) {
      value = Number(share);
      if (!/^(0|1)?(\.\d{1,6})?$/.test(share) || share === "" || !(value > 0 && value <= 1)) throw usage(`has a share ${JSON.stringify(share)} outside (0, 1]`);
    }
    parsed.push({ kind, share: value });
  }
  const fallback = [...parsed].reverse().find((p) => p.share !== undefined)?.share ?? DEFAULT_SHARE;
  return new Map(parsed.map((p) => [p.kind, p.share ?? fallback]));
}

/**
 * The relying parties one device authenticates at: drawn from (seed, device) alone, so a device's sample does not
 * depend on the worker that runs it. S/MIME is iOS only (docs/intune.md §1.6: no S/MIME on Android).
 */
export function relyingPartiesOf(shares: RelyingPartyShares, seed: string, device: number, platform: Platform): RelyingPartyKind[] {
  const random = deviceRandom(seed, device).fork("relying-parties");
  const kinds: RelyingPartyKind[] = [];
  for (const kind of RELYING_PARTY_KINDS) {
    const share = shares.get(kind);
    const draw = random.next(); // drawn for every kind, so adding one kind leaves the others' samples alone
    if (share !== undefined && draw < share && (kind !== "smime" || platform === "ios")) kinds.push(kind);
  }
  return kinds;
}
