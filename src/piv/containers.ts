/**
 * Public PIV data containers as OpenSC names them in PKCS#11 (CKA_LABEL = CKA_APPLICATION = name,
 * CKA_OBJECT_ID = OID; OpenSC card-piv.c piv_objects[], docs/sp800-157.md §3 container table and §4).
 */
export type PivContainerName = "chuid" | "ccc" | "discovery";

export interface PivContainerInfo {
  name: string;
  oid: string;
  /** The BER-TLV tag used by GET DATA (73-4 Pt1 Table 3). */
  tag: number;
}

export const PIV_CONTAINERS: Readonly<Record<PivContainerName, PivContainerInfo>> = {
  chuid: { name: "Card Holder Unique Identifier", oid: "2.16.840.1.101.3.7.2.48.0", tag: 0x5fc102 },
  ccc: { name: "Card Capability Container", oid: "2.16.840.1.101.3.7.1.219.0", tag: 0x5fc107 },
  discovery: { name: "Discovery Object", oid: "2.16.840.1.101.3.7.2.96.80", tag: 0x7e },
};
