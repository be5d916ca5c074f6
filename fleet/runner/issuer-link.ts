import type { IssuerName } from "../../emulators/derived/index.js";
import type { IssuingAuthority } from "../../emulators/shared/index.js";

/** How the runner reaches one issuer's stack (tenant + issuer): in-process, self-served over HTTP, or a served lab. */
export interface IssuerLink {
  fetch: typeof fetch;
  baseUrl: string;
  /** The admin puts a freshly enrolled device in the fleet's group. */
  assign(deviceId: string): void | Promise<void>;
  /** The day's due checks (seven-day rechecks, identity-account monitoring) at the clock's time. */
  tick(): Promise<void>;
  /** Faults injected so far in this run, by kind. */
  injected(): Promise<Record<string, number>>;
  /** The operator reports a device lost: its credentials revoked at the issuer (DC-TRM-01), retired in the tenant. */
  reportLost(deviceId: string): Promise<{ revoked: unknown[] }>;
  /** The admin switches the tenant to another issuer (delete, add, edit the derived-credential profiles). */
  changeIssuer(to: IssuerName): Promise<void>;
  /** What went wrong with the server itself (a served lab that restarted or refused connections); none in-process. */
  incidents(): string[];
  /** What a served lab went through that the run rode out (an outage on a durable store); none in-process. */
  notes?(): string[];
  /**
   * The CA named `caName` (root, piv-ca, <issuer>-ca) when this stack answers its status: the card CAs, and the CAs
   * of the issuers its tenant has used. In-process stacks only (a served lab answers for itself).
   */
  statusAuthority?(caName: string): IssuingAuthority | undefined;
  close(): Promise<void>;
}
