import { encodeTlv, encodeTlvs } from "./tlv.js";

/** PIV application AID (73-4 Pt1 §2.2). */
export const PIV_AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00);

/**
 * Discovery Object `7E 12 {4F 0B AID} {5F 2F 02 xx yy}` (docs/sp800-157.md §3; 73-4 Pt1 Table 18). Policy byte 1
 * 0x40 = PIV Application PIN only (DC-KEY-06); byte 2 0x00 = no preference (Global PIN unused).
 */
export function buildDiscovery(pinUsagePolicy: [number, number] = [0x40, 0x00]): Uint8Array {
  return encodeTlv(
    0x7e,
    encodeTlvs([
      [0x4f, PIV_AID],
      [0x5f2f, Uint8Array.from(pinUsagePolicy)],
    ]),
  );
}
