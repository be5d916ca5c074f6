import type { IssuerName, Platform } from "../../emulators/derived/index.js";
import { attempt, expectOutcome } from "../flows.js";
import { credential, type DeviceModel, graphIssuer, type Model, type NotificationType, OK, type Outcome, type ProfileKind, refused } from "../model.js";
import { DM, type World } from "../world.js";
import { DeviceCommand, ScenarioCommand, show } from "./command.js";

/**
 * The tenant administrator's commands (docs/intune.md §1.2–§1.7, §3): the one derived credential issuer (create, edit,
 * delete), device configuration profiles that may use "Derived credential" (create, edit, assign), conditional
 * access, device compliance.
 */

const GROUP_TARGET = "#microsoft.graph.groupAssignmentTarget";

export class CreateIssuer extends ScenarioCommand {
  constructor(
    readonly issuer: IssuerName,
    readonly notificationType: NotificationType,
    readonly threshold: number,
  ) {
    super();
  }
  check(): boolean {
    return true;
  }
  protected async act(m: Model, w: World): Promise<void> {
    const predicted: Outcome = m.issuer ? refused("issuer-already-configured") : OK;
    const r = await attempt(() =>
      w.api().post<{ id: string }>(`${DM}/derivedCredentials`, {
        displayName: "TEST scenario issuer",
        issuer: graphIssuer(this.issuer),
        notificationType: this.notificationType,
        renewalThresholdPercentage: this.threshold,
        helpUrl: "https://help.agency.test/derived-credentials",
      }),
    );
    expectOutcome(w, `create the ${this.issuer} issuer`, predicted, r);
    if (!r.ok) return;
    w.settingsId = r.value.id;
    m.issuer = { name: this.issuer, notificationType: this.notificationType, threshold: this.threshold };
    m.generation++;
  }
  toString(): string {
    return `CreateIssuer(${show(this.issuer)}, ${show(this.notificationType)}, ${this.threshold})`;
  }
}

/** docs/intune.md §1.3: the only way to change the issuer; every credential obtained under it becomes invalid. */
export class DeleteIssuer extends ScenarioCommand {
  check(m: Readonly<Model>): boolean {
    return m.issuer !== undefined;
  }
  protected async act(m: Model, w: World): Promise<void> {
    await w.api().delete(`${DM}/derivedCredentials/${w.settingsId}`);
    deleteIssuerInModel(m);
    w.settingsId = undefined;
  }
  toString(): string {
    return "DeleteIssuer()";
  }
}

export function deleteIssuerInModel(m: Model): void {
  m.issuer = undefined;
  m.deletions.push(m.now);
  // The tenant keeps the serials of the credentials registered on its devices now (a lost device left the tenant).
  for (const d of m.devices) if (!d.lost && d.registered) credential(m, d.registered.credential).retiredByDeletion = true;
  for (const p of m.profiles) if (p.usesDerivedCredential) p.needsEdit = true;
}

/** Every field but the issuer is editable (docs/intune.md §1.2); trying to change the issuer is refused. */
export class ChangeSettings extends ScenarioCommand {
  constructor(
    readonly notificationType: NotificationType,
    readonly threshold: number,
    readonly tryIssuer?: IssuerName,
  ) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.issuer !== undefined;
  }
  protected async act(m: Model, w: World): Promise<void> {
    const current = m.issuer;
    if (!current) return;
    const changesIssuer = this.tryIssuer !== undefined && this.tryIssuer !== current.name;
    const r = await attempt(() =>
      w.api().patch(`${DM}/derivedCredentials/${w.settingsId}`, {
        notificationType: this.notificationType,
        renewalThresholdPercentage: this.threshold,
        ...(this.tryIssuer ? { issuer: graphIssuer(this.tryIssuer) } : {}),
      }),
    );
    expectOutcome(w, "change the issuer settings", changesIssuer ? refused("issuer-immutable") : OK, r);
    if (r.ok) m.issuer = { ...current, notificationType: this.notificationType, threshold: this.threshold };
  }
  toString(): string {
    return `ChangeSettings(${show(this.notificationType)}, ${this.threshold}${this.tryIssuer ? `, issuer ${show(this.tryIssuer)}` : ""})`;
  }
}

const TYPES: Record<ProfileKind, Record<Platform, string>> = {
  wifi: { ios: "iosEnterpriseWiFiConfiguration", android: "androidDeviceOwnerEnterpriseWiFiConfiguration" },
  vpn: { ios: "iosVpnConfiguration", android: "androidDeviceOwnerVpnConfiguration" },
  email: { ios: "iosEasEmailProfileConfiguration", android: "androidDeviceOwnerEasEmailProfileConfiguration" },
  appAuth: { ios: "iosDerivedCredentialAuthenticationConfiguration", android: "androidDeviceOwnerDerivedCredentialAuthenticationConfiguration" },
  trustedRoot: { ios: "iosTrustedRootCertificate", android: "androidDeviceOwnerTrustedRootCertificate" },
  restrictions: { ios: "iosGeneralDeviceConfiguration", android: "androidDeviceOwnerGeneralDeviceConfiguration" },
};

export interface ProfileSpec {
  kind: ProfileKind;
  platform: Platform;
  /** Wi-Fi, VPN, email: "Derived credential" as the authentication method (app authentication always uses it). */
  derivedCredential: boolean;
  /** Wi-Fi, VPN: the on-premises network path to the issuer (docs/intune.md §1.7, §1.8). */
  issuerAccess: boolean;
  /** Device restrictions: block the camera (docs/intune.md §1.7). */
  cameraBlocked: boolean;
  /** Assign it to the scenario group right away. */
  assign: boolean;
}

/** The Graph body of a profile (docs/intune.md §3.2). */
function profileBody(spec: ProfileSpec, w: World): Record<string, unknown> {
  const base = { "@odata.type": `#microsoft.graph.${TYPES[spec.kind][spec.platform]}`, displayName: `TEST ${spec.kind} ${spec.platform}` };
  const dc = spec.derivedCredential;
  switch (spec.kind) {
    case "wifi":
      return {
        ...base,
        ssid: "TEST-CORP",
        eapType: "eapTls",
        authenticationMethod: dc ? "derivedCredential" : "certificate",
        providesIssuerAccess: spec.issuerAccess,
      };
    case "vpn":
      return { ...base, server: "vpn.agency.test", authenticationMethod: dc ? "derivedCredential" : "certificate", providesIssuerAccess: spec.issuerAccess };
    case "email":
      return {
        ...base,
        hostName: "mail.agency.test",
        authenticationMethod: dc ? "derivedCredential" : "usernameAndPassword",
        signingCertificateType: dc ? "derivedCredential" : "none",
        encryptionCertificateType: dc ? "derivedCredential" : "none",
      };
    case "appAuth":
      return spec.platform === "android" ? { ...base, certificateAccessType: "userApproval" } : base;
    case "trustedRoot":
      return {
        ...base,
        trustedRootCertificate: Buffer.from(w.stack.cardIssuer.root.certificate.rawData).toString("base64"),
        certFileName: "dpclab-test-root.cer",
      };
    case "restrictions":
      return { ...base, cameraBlocked: spec.cameraBlocked };
  }
}

/** The effective settings of a spec: what the tenant will store. */
function effective(spec: ProfileSpec) {
  return {
    usesDerivedCredential: spec.kind === "appAuth" || (["wifi", "vpn", "email"].includes(spec.kind) && spec.derivedCredential),
    providesIssuerAccess: (spec.kind === "wifi" || spec.kind === "vpn") && spec.issuerAccess,
    cameraBlocked: spec.kind === "restrictions" && spec.cameraBlocked,
  };
}

/**
 * docs/intune.md §1.6: email and S/MIME are iOS-only, Android VPN with a derived credential is not supported, and choosing
 * "Derived credential" needs an issuer first.
 */
export function predictProfile(m: Readonly<Model>, spec: ProfileSpec): Outcome {
  if (spec.kind === "email" && spec.platform === "android") return refused("email-ios-only");
  if (spec.kind === "vpn" && spec.platform === "android" && spec.derivedCredential) return refused("android-vpn-derived-credential");
  if (effective(spec).usesDerivedCredential && !m.issuer) return refused("no-derived-credential-issuer");
  return OK;
}

export class CreateProfile extends ScenarioCommand {
  constructor(readonly spec: ProfileSpec) {
    super();
  }
  check(): boolean {
    return true;
  }
  protected async act(m: Model, w: World): Promise<void> {
    const r = await attempt(() => w.api().post<{ id: string }>(`${DM}/deviceConfigurations`, profileBody(this.spec, w)));
    expectOutcome(w, `create ${this}`, predictProfile(m, this.spec), r);
    if (!r.ok) return;
    const index = m.profiles.length;
    w.profileIds[index] = r.value.id;
    m.profiles.push({ index, kind: this.spec.kind, platform: this.spec.platform, ...effective(this.spec), needsEdit: false, assigned: false });
    if (this.spec.assign) await assign(m, w, index, true);
  }
  toString(): string {
    const s = this.spec;
    const flags = [
      s.derivedCredential && "derivedCredential",
      s.issuerAccess && "issuerAccess",
      s.cameraBlocked && "cameraBlocked",
      s.assign && "assigned",
    ].filter(Boolean);
    return `CreateProfile(${s.kind}, ${s.platform}${flags.length ? `, ${flags.join("+")}` : ""})`;
  }
}

async function assign(m: Model, w: World, index: number, on: boolean): Promise<void> {
  await w.api().post(`${DM}/deviceConfigurations/${w.profileIds[index]}/assign`, {
    assignments: on ? [{ target: { "@odata.type": GROUP_TARGET, groupId: w.groupId } }] : [],
  });
  const p = m.profiles[index];
  if (p) p.assigned = on;
}

/** Any edit, even of the description, redeploys the profile and clears "needs edit" after an issuer change (docs/intune.md §1.3). */
export class EditProfile extends ScenarioCommand {
  constructor(readonly slot: number) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.profiles.length > 0;
  }
  protected async act(m: Model, w: World): Promise<void> {
    const p = m.profiles[this.slot % m.profiles.length];
    if (!p) return;
    const predicted = p.usesDerivedCredential && !m.issuer ? refused("no-derived-credential-issuer") : OK;
    const r = await attempt(() =>
      w.api().patch(`${DM}/deviceConfigurations/${w.profileIds[p.index]}`, { description: `edited at ${w.clock.now().toISOString()}` }),
    );
    expectOutcome(w, `edit profile ${p.index}`, predicted, r);
    if (r.ok) p.needsEdit = false;
  }
  toString(): string {
    return `EditProfile(slot ${this.slot})`;
  }
}

export class AssignProfile extends ScenarioCommand {
  constructor(
    readonly slot: number,
    readonly on: boolean,
  ) {
    super();
  }
  check(m: Readonly<Model>): boolean {
    return m.profiles.length > 0;
  }
  protected async act(m: Model, w: World): Promise<void> {
    await assign(m, w, this.slot % m.profiles.length, this.on);
  }
  toString(): string {
    return `${this.on ? "AssignProfile" : "UnassignProfile"}(slot ${this.slot})`;
  }
}

/** Conditional access blocking email on non-compliant devices (docs/intune.md §1.2, §1.7, §4). */
export class SetConditionalAccess extends ScenarioCommand {
  constructor(readonly blockNonCompliantEmail: boolean) {
    super();
  }
  check(): boolean {
    return true;
  }
  protected async act(m: Model, w: World): Promise<void> {
    const r = await new JsonPut(w).put("/tenant/beta/identity/conditionalAccess/policies", { blockNonCompliantEmail: this.blockNonCompliantEmail });
    if (r.blockNonCompliantEmail !== this.blockNonCompliantEmail) throw new Error("the conditional access policy did not take");
    m.blockNonCompliantEmail = this.blockNonCompliantEmail;
  }
  toString(): string {
    return `SetConditionalAccess(blockNonCompliantEmail ${this.blockNonCompliantEmail})`;
  }
}

/** JsonClient has no PUT: a minimal one for the conditional access policy. */
class JsonPut {
  constructor(private readonly w: World) {}
  async put(path: string, body: unknown): Promise<{ blockNonCompliantEmail: boolean }> {
    const res = await this.w.fetch()(path, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`PUT ${path}: ${res.status}`);
    return (await res.json()) as { blockNonCompliantEmail: boolean };
  }
}

/** The device falls out of (or back into) compliance: issuers refuse unapproved devices (DC-ISS-02). */
export class SetCompliance extends DeviceCommand {
  constructor(
    slot: number,
    readonly compliant: boolean,
  ) {
    super(slot);
  }
  protected async actOn(_m: Model, w: World, d: DeviceModel): Promise<void> {
    await w.api({ device: d.index }).patch(`${DM}/managedDevices/${w.device(d.index).tenantId}`, { compliant: this.compliant });
    d.compliant = this.compliant;
  }
  toString(): string {
    return `SetCompliance(device slot ${this.slot}, ${this.compliant ? "compliant" : "non-compliant"})`;
  }
}
