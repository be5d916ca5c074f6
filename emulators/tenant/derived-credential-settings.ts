import { DpclabError } from "../../src/errors.js";
import { asObject, bad, type JsonObject, notWritable, odataTypeIs, onlyKnown, str } from "./input.js";

/** Graph `deviceManagementDerivedCredentialIssuer` values this tenant accepts (docs/intune.md §3.1, §0). */
export const SUPPORTED_ISSUERS = ["intercede", "entrustDatacard", "purebred"] as const;
export type GraphIssuer = (typeof SUPPORTED_ISSUERS)[number];

/** Graph `deviceManagementDerivedCredentialNotificationType`: a flags enum, serialised "companyPortal,email" (§3.1). */
export type NotificationChannel = "companyPortal" | "email";
export type NotificationType = "none" | "companyPortal" | "email" | "companyPortal,email";

/**
 * Default renewal threshold. Graph describes renewalThresholdPercentage as the "nominal percentage of time before
 * certificate renewal is initiated" (docs/intune.md §3.1): we read it as the share of the lifetime that still *remains*
 * when renewal becomes due. 20 therefore reproduces the documented rule "notify at 80 % of its lifetime; the device
 * checks in during the renewal window (the last 20 %)" (§1.4).
 */
export const DEFAULT_RENEWAL_THRESHOLD_PERCENTAGE = 20;

/** Graph `deviceManagementDerivedCredentialSettings`: the one tenant-wide issuer (docs/intune.md §1.2, §3.1). */
export interface DerivedCredentialSettings {
  id: string;
  displayName: string;
  helpUrl: string;
  issuer: GraphIssuer;
  notificationType: NotificationType;
  renewalThresholdPercentage: number;
}

const ENTITY = "deviceManagementDerivedCredentialSettings";
const WRITABLE = ["@odata.type", "displayName", "helpUrl", "issuer", "notificationType", "renewalThresholdPercentage"] as const;
const READ_ONLY = ["id"] as const;

/** Validates a POST body into new settings (nothing is stored here). */
export function parseNewSettings(input: unknown, id: string): DerivedCredentialSettings {
  const body = checkShape(input);
  const issuer = parseIssuer(body.issuer);
  return {
    id,
    displayName: str(body, "displayName", { required: true }) as string,
    helpUrl: parseHelpUrl(body) ?? "",
    issuer,
    notificationType: parseNotificationType(body) ?? "none",
    renewalThresholdPercentage: parseThreshold(body) ?? DEFAULT_RENEWAL_THRESHOLD_PERCENTAGE,
  };
}

/** Validates a PATCH body against the current settings: every field is editable except the issuer (§1.2, §1.3). */
export function patchSettings(current: DerivedCredentialSettings, input: unknown): DerivedCredentialSettings {
  const body = checkShape(input);
  if (body.issuer !== undefined) {
    const issuer = parseIssuer(body.issuer);
    if (issuer !== current.issuer) {
      throw new DpclabError(
        `the derived credential issuer cannot be changed after it is saved (${current.issuer} → ${issuer}): delete the issuer and add a new one (docs/intune.md §1.3)`,
        "issuer-immutable",
        409,
      );
    }
  }
  const displayName = str(body, "displayName", { nonEmpty: true });
  return {
    ...current,
    ...(displayName !== undefined && { displayName }),
    helpUrl: parseHelpUrl(body) ?? current.helpUrl,
    notificationType: parseNotificationType(body) ?? current.notificationType,
    renewalThresholdPercentage: parseThreshold(body) ?? current.renewalThresholdPercentage,
  };
}

/** The channels a notification type turns on. */
export function channelsOf(type: NotificationType): NotificationChannel[] {
  return type === "none" ? [] : (type.split(",") as NotificationChannel[]);
}

/** Validates a Graph issuer value; xTec exists in the Graph enum but in no doc, and this tenant refuses it (§0). */
export function parseIssuer(value: unknown): GraphIssuer {
  if (value === undefined) throw bad(`"issuer" is required`, "missing-property");
  if (value === "xTec")
    throw bad(
      "xTec is not supported by this tenant: the supported issuers are intercede, entrustDatacard and purebred (docs/intune.md §0)",
      "issuer-not-supported",
    );
  if (typeof value !== "string" || !(SUPPORTED_ISSUERS as readonly string[]).includes(value)) {
    throw bad(`"issuer" must be one of ${SUPPORTED_ISSUERS.join(", ")} (got ${JSON.stringify(value)})`, "invalid-enum-value");
  }
  return value as GraphIssuer;
}

function checkShape(input: unknown): JsonObject {
  const body = asObject(input, ENTITY);
  notWritable(body, READ_ONLY, ENTITY);
  onlyKnown(body, WRITABLE, ENTITY);
  odataTypeIs(body, ENTITY);
  return body;
}

/** Shown as a link in Company Portal / the Intune app; empty means Intune links its generic article (§1.2). */
function parseHelpUrl(body: JsonObject): string | undefined {
  const value = str(body, "helpUrl", { max: 2048 });
  if (value === undefined || value === "") return value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad(`"helpUrl" must be an absolute http(s) URL (got "${value}")`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw bad(`"helpUrl" must be an http(s) URL (got "${value}")`);
  return value;
}

/** Flags: "none", "companyPortal", "email" or "companyPortal,email" (either order); none cannot be combined. */
function parseNotificationType(body: JsonObject): NotificationType | undefined {
  const value = str(body, "notificationType");
  if (value === undefined) return undefined;
  const flags = value.split(",").map((f) => f.trim());
  const valid = ["none", "companyPortal", "email"];
  for (const flag of flags) {
    if (!valid.includes(flag)) throw bad(`"notificationType" flags must be none, companyPortal or email (got "${value}")`, "invalid-enum-value");
  }
  if (new Set(flags).size !== flags.length) throw bad(`"notificationType" repeats a flag (got "${value}")`, "invalid-enum-value");
  if (flags.includes("none") && flags.length > 1)
    throw bad(`"notificationType" none cannot be combined with other flags (got "${value}")`, "invalid-enum-value");
  if (flags.length === 2) return "companyPortal,email";
  return flags[0] as NotificationType;
}

/** Int32 1–99 (our bounds: 0 would never renew, 100 would renew at issuance). */
function parseThreshold(body: JsonObject): number | undefined {
  const value = body.renewalThresholdPercentage;
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 99) {
    throw bad(`"renewalThresholdPercentage" must be an integer from 1 to 99 (got ${JSON.stringify(value)})`);
  }
  return value;
}
