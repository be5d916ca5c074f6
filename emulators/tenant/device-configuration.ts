import { X509Certificate } from "../../src/x509.js";
import type { Platform } from "../derived/index.js";
import { asObject, bad, base64, bool, type JsonObject, notWritable, oneOf, onlyKnown, str } from "./input.js";

/**
 * Device configuration profiles, with the Graph type names of docs/intune.md §3.2 (plus trusted root and device
 * restrictions, §1.7). Only the properties the derived-credential rules need are modelled; any other is refused.
 */
export const PROFILE_TYPES = [
  "iosDerivedCredentialAuthenticationConfiguration",
  "androidDeviceOwnerDerivedCredentialAuthenticationConfiguration",
  "iosEnterpriseWiFiConfiguration",
  "androidDeviceOwnerEnterpriseWiFiConfiguration",
  "iosVpnConfiguration",
  "androidDeviceOwnerVpnConfiguration",
  "iosEasEmailProfileConfiguration",
  "iosTrustedRootCertificate",
  "androidDeviceOwnerTrustedRootCertificate",
  "iosGeneralDeviceConfiguration",
  "androidDeviceOwnerGeneralDeviceConfiguration",
] as const;
export type ProfileType = (typeof PROFILE_TYPES)[number];

export type ProfileFamily = "derivedCredentialAuthentication" | "wiFi" | "vpn" | "email" | "trustedRoot" | "deviceRestrictions";

/** Type-specific settings, exactly as they appear on the Graph entity. */
export type ProfileSettings = Record<string, string | boolean | { packageId: string }[]>;

/** A profile as the tenant stores it. `needsEdit` is our flag for "the issuer was deleted: edit me to redeploy" (§1.3). */
export interface DeviceConfiguration {
  type: ProfileType;
  id: string;
  displayName: string;
  description: string;
  /** Bumped on every PATCH; a new version is a redeploy. */
  version: number;
  needsEdit: boolean;
  createdDateTime: string;
  lastModifiedDateTime: string;
  settings: ProfileSettings;
  /** Group ids from the last `assign` action. */
  assignments: string[];
  /**
   * The `derivedCredentialSettings` navigation property (docs/intune.md §3.2, §6.2): the id of the tenant's issuer
   * settings this profile is linked to. Set by `@odata.bind` or `$ref`, or on its own when a profile that uses the
   * derived credential is created or edited while an issuer is configured; cleared when that issuer is deleted (§1.3).
   */
  derivedCredentialSettingsId?: string;
}

export function platformOf(type: ProfileType): Platform {
  return type.startsWith("ios") ? "ios" : "android";
}

export function familyOf(type: ProfileType): ProfileFamily {
  if (type.endsWith("DerivedCredentialAuthenticationConfiguration")) return "derivedCredentialAuthentication";
  if (type.endsWith("WiFiConfiguration")) return "wiFi";
  if (type.endsWith("VpnConfiguration")) return "vpn";
  if (type.endsWith("EmailProfileConfiguration")) return "email";
  if (type.endsWith("TrustedRootCertificate")) return "trustedRoot";
  return "deviceRestrictions";
}

/** The profile types that have Graph's `derivedCredentialSettings` navigation property (§3.2): not trusted roots or restrictions. */
export function hasDerivedCredentialSettings(type: ProfileType): boolean {
  return ["derivedCredentialAuthentication", "wiFi", "vpn", "email"].includes(familyOf(type));
}

/** Every top-level property a profile of some type may show (what `$select` may name on the collection, §6.3). */
export function profileProperties(): string[] {
  return [...new Set<string>(["@odata.type", ...READ_ONLY, ...COMMON.filter((k) => k !== "@odata.type"), ...Object.values(PROPERTIES).flat()])];
}

/** Does this profile take its certificate from the derived credential (§1.6)? */
export function usesDerivedCredential(type: ProfileType, settings: ProfileSettings): boolean {
  switch (familyOf(type)) {
    case "derivedCredentialAuthentication":
      return true;
    case "wiFi":
    case "vpn":
      return settings.authenticationMethod === "derivedCredential";
    case "email":
      return [settings.authenticationMethod, settings.signingCertificateType, settings.encryptionCertificateType].includes("derivedCredential");
    default:
      return false;
  }
}

/** The Graph entity: "@odata.type", the common properties, then the type-specific ones. */
export function toGraphProfile(p: DeviceConfiguration): JsonObject {
  return {
    "@odata.type": `#microsoft.graph.${p.type}`,
    id: p.id,
    displayName: p.displayName,
    description: p.description,
    version: p.version,
    needsEdit: p.needsEdit,
    createdDateTime: p.createdDateTime,
    lastModifiedDateTime: p.lastModifiedDateTime,
    ...structuredClone(p.settings),
  };
}

export interface ProfileContext {
  /** Whether a derived credential issuer is configured: choosing "Derived credential" needs one (§1.6). */
  issuerConfigured: boolean;
}

const COMMON = ["@odata.type", "displayName", "description"] as const;
const READ_ONLY = ["id", "version", "needsEdit", "createdDateTime", "lastModifiedDateTime"] as const;

/** Reads "@odata.type" of a POST body: required, one of PROFILE_TYPES, with clear words for known non-supported types. */
export function parseProfileType(input: unknown): ProfileType {
  const body = asObject(input, "deviceConfiguration");
  const raw = body["@odata.type"];
  if (raw === undefined)
    throw bad(`"@odata.type" is required on a deviceConfiguration (e.g. "#microsoft.graph.iosEnterpriseWiFiConfiguration")`, "missing-property");
  if (typeof raw !== "string") throw bad(`"@odata.type" must be a string`);
  const name = raw.replace(/^#?microsoft\.graph\./, "");
  if (/^android.*Eas?EmailProfileConfiguration$|^android.*EmailProfileConfiguration$/.test(name)) {
    throw bad(
      `${name}: email and S/MIME with a derived credential are iOS-only; Android Enterprise email profiles are BYOD-only and offer username/password or certificates (docs/intune.md §1.6)`,
      "email-ios-only",
    );
  }
  if (!(PROFILE_TYPES as readonly string[]).includes(name) || !raw.startsWith("#microsoft.graph.")) {
    throw bad(`unsupported "@odata.type" ${JSON.stringify(raw)}: this tenant knows #microsoft.graph.{${PROFILE_TYPES.join(", ")}}`, "unsupported-odata-type");
  }
  return name as ProfileType;
}

/** Validates a whole profile body (a POST, or a PATCH merged onto the stored profile) into its parts. */
export function parseProfile(type: ProfileType, input: unknown, ctx: ProfileContext): { displayName: string; description: string; settings: ProfileSettings } {
  const body = asObject(input, type);
  notWritable(body, READ_ONLY, type);
  onlyKnown(body, [...COMMON, ...PROPERTIES[type]], type);
  if (body["@odata.type"] !== undefined && body["@odata.type"] !== `#microsoft.graph.${type}`) {
    throw bad(
      `"@odata.type" cannot change from #microsoft.graph.${type} (got ${JSON.stringify(body["@odata.type"])}): create a new profile instead`,
      "odata-type-immutable",
    );
  }
  const displayName = str(body, "displayName", { required: true }) as string;
  const description = str(body, "description", { max: 4096 }) ?? "";
  const settings = SETTINGS[type](body);
  if (usesDerivedCredential(type, settings) && !ctx.issuerConfigured) {
    throw bad(
      `${type} uses "Derived credential", but no derived credential issuer is configured: add a derived credential issuer first (Tenant administration > Connectors and tokens > Derived Credentials, docs/intune.md §1.6)`,
      "no-derived-credential-issuer",
    );
  }
  return { displayName, description, settings };
}

const WIFI_AUTH = ["certificate", "usernameAndPassword", "derivedCredential"] as const;
const VPN_AUTH = ["certificate", "usernameAndPassword", "sharedSecret", "derivedCredential", "azureAD"] as const;
const EAS_AUTH = ["usernameAndPassword", "certificate", "derivedCredential"] as const;
const EMAIL_CERT = ["none", "certificate", "derivedCredential"] as const;
const IOS_EAP = ["eapTls", "leap", "eapSim", "eapTtls", "peap", "eapFast", "teap"] as const;
/** Graph `androidEapType` (§1.6, §3.2). */
const ANDROID_EAP = ["eapTls", "eapTtls", "peap"] as const;
/** "Derived credential" applies only to EAP-TLS, EAP-TTLS and PEAP (§1.6, §3.3). */
const DERIVED_CREDENTIAL_EAP: readonly string[] = ["eapTls", "eapTtls", "peap"];
/** `silentCertificateAccessDetails` holds at most 50 apps (§3.2). */
export const MAX_SILENT_CERTIFICATE_ACCESS = 50;

/** `providesIssuerAccess` is our extension: this Wi-Fi/VPN is the on-premises network path to the issuer (§1.7, §1.8). */
const WIFI_PROPS = ["ssid", "eapType", "authenticationMethod", "providesIssuerAccess"];
const VPN_PROPS = ["server", "authenticationMethod", "providesIssuerAccess"];

const PROPERTIES: Record<ProfileType, readonly string[]> = {
  iosDerivedCredentialAuthenticationConfiguration: [],
  androidDeviceOwnerDerivedCredentialAuthenticationConfiguration: ["certificateAccessType", "silentCertificateAccessDetails"],
  iosEnterpriseWiFiConfiguration: WIFI_PROPS,
  androidDeviceOwnerEnterpriseWiFiConfiguration: WIFI_PROPS,
  iosVpnConfiguration: VPN_PROPS,
  androidDeviceOwnerVpnConfiguration: VPN_PROPS,
  iosEasEmailProfileConfiguration: ["hostName", "authenticationMethod", "signingCertificateType", "encryptionCertificateType"],
  iosTrustedRootCertificate: ["trustedRootCertificate", "certFileName"],
  androidDeviceOwnerTrustedRootCertificate: ["trustedRootCertificate", "certFileName"],
  iosGeneralDeviceConfiguration: ["cameraBlocked"],
  androidDeviceOwnerGeneralDeviceConfiguration: ["cameraBlocked"],
};

const SETTINGS: Record<ProfileType, (body: JsonObject) => ProfileSettings> = {
  iosDerivedCredentialAuthenticationConfiguration: () => ({}),
  androidDeviceOwnerDerivedCredentialAuthenticationConfiguration: certificateAccess,
  iosEnterpriseWiFiConfiguration: (b) => wiFi(b, IOS_EAP),
  androidDeviceOwnerEnterpriseWiFiConfiguration: (b) => wiFi(b, ANDROID_EAP),
  iosVpnConfiguration: (b) => vpn(b, "ios"),
  androidDeviceOwnerVpnConfiguration: (b) => vpn(b, "android"),
  iosEasEmailProfileConfiguration: email,
  iosTrustedRootCertificate: trustedRoot,
  androidDeviceOwnerTrustedRootCertificate: trustedRoot,
  iosGeneralDeviceConfiguration: restrictions,
  androidDeviceOwnerGeneralDeviceConfiguration: restrictions,
};

/** Android "Certificate access": user approval (default), or silent for at most 50 named apps (§1.6, §3.2). */
function certificateAccess(body: JsonObject): ProfileSettings {
  const certificateAccessType = oneOf(body, "certificateAccessType", ["userApproval", "specificApps"] as const) ?? "userApproval";
  const raw = body.silentCertificateAccessDetails ?? [];
  if (!Array.isArray(raw)) throw bad(`"silentCertificateAccessDetails" must be an array of { packageId }`);
  if (raw.length > MAX_SILENT_CERTIFICATE_ACCESS) {
    throw bad(`"silentCertificateAccessDetails" holds at most ${MAX_SILENT_CERTIFICATE_ACCESS} apps (got ${raw.length})`, "too-many-silent-apps");
  }
  if (raw.length > 0 && certificateAccessType !== "specificApps") {
    throw bad(`"silentCertificateAccessDetails" is only allowed with certificateAccessType "specificApps"`, "silent-access-needs-specific-apps");
  }
  const apps = raw.map((item, i) => {
    const app = asObject(item, `silentCertificateAccessDetails[${i}]`);
    onlyKnown(app, ["@odata.type", "packageId"], `silentCertificateAccessDetails[${i}]`);
    const packageId = str(app, "packageId", { required: true, max: 256 }) as string;
    if (!/^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$/.test(packageId))
      throw bad(`silentCertificateAccessDetails[${i}].packageId "${packageId}" is not an Android package name`);
    return { packageId };
  });
  if (new Set(apps.map((a) => a.packageId)).size !== apps.length) throw bad(`"silentCertificateAccessDetails" lists a packageId twice`);
  return { certificateAccessType, silentCertificateAccessDetails: apps };
}

function wiFi(body: JsonObject, eapTypes: readonly string[]): ProfileSettings {
  const ssid = str(body, "ssid", { required: true, max: 32 }) as string;
  const eapType = oneOf(body, "eapType", eapTypes, { required: true }) as string;
  const authenticationMethod = oneOf(body, "authenticationMethod", WIFI_AUTH, { required: true }) as string;
  if (authenticationMethod === "derivedCredential" && !DERIVED_CREDENTIAL_EAP.includes(eapType)) {
    throw bad(
      `"derivedCredential" Wi-Fi authentication needs eapType eapTls, eapTtls or peap (got "${eapType}", docs/intune.md §1.6)`,
      "derived-credential-eap-type",
    );
  }
  return { ssid, eapType, authenticationMethod, providesIssuerAccess: bool(body, "providesIssuerAccess") ?? false };
}

/** `server` is a host name here (Graph's is a vpnServer object: our simplification). */
function vpn(body: JsonObject, platform: Platform): ProfileSettings {
  const server = str(body, "server", { required: true, max: 255 }) as string;
  const authenticationMethod = oneOf(body, "authenticationMethod", VPN_AUTH, { required: true }) as string;
  if (platform === "android" && authenticationMethod === "derivedCredential") {
    throw bad(
      `"derivedCredential" VPN authentication is not supported on Android Enterprise (newest docs, MicrosoftDocs/memdocs PR #4293; docs/intune.md §1.6, §4)`,
      "android-vpn-derived-credential",
    );
  }
  return { server, authenticationMethod, providesIssuerAccess: bool(body, "providesIssuerAccess") ?? false };
}

/** Native iOS Mail (EAS) and S/MIME: the only email objects that take a derived credential (§1.6). */
function email(body: JsonObject): ProfileSettings {
  return {
    hostName: str(body, "hostName", { required: true, max: 255 }) as string,
    authenticationMethod: oneOf(body, "authenticationMethod", EAS_AUTH) ?? "usernameAndPassword",
    signingCertificateType: oneOf(body, "signingCertificateType", EMAIL_CERT) ?? "none",
    encryptionCertificateType: oneOf(body, "encryptionCertificateType", EMAIL_CERT) ?? "none",
  };
}

/** Required to validate the derived credential's chain, even if no policy references it (§1.7). */
function trustedRoot(body: JsonObject): ProfileSettings {
  const der = base64(body, "trustedRootCertificate");
  try {
    new X509Certificate(new Uint8Array(der));
  } catch {
    throw bad(`"trustedRootCertificate" is not a base64 DER X.509 certificate`, "invalid-certificate");
  }
  return { trustedRootCertificate: body.trustedRootCertificate as string, certFileName: str(body, "certFileName", { max: 255 }) ?? "" };
}

function restrictions(body: JsonObject): ProfileSettings {
  return { cameraBlocked: bool(body, "cameraBlocked") ?? false };
}
