import { GRAPH_ISSUER, type IssuerName } from "../../emulators/derived/index.js";
import { DpclabError } from "../../src/errors.js";
import type { JsonClient } from "../clients/index.js";

/**
 * The admin's issuer change (docs/intune.md §1.3): delete the tenant's issuer (every credential under it becomes invalid,
 * even if it is re-added), add the new one, and edit each profile that uses the derived credential, which waits for
 * that edit before it is deployed again. A tenant already on `to` is left alone.
 */
export async function changeTenantIssuer(api: JsonClient, to: IssuerName): Promise<void> {
  const DM = "/tenant/beta/deviceManagement";
  const existing = await api.get<{ value: { id: string; issuer: string }[] }>(`${DM}/derivedCredentials`);
  const current = existing.value[0];
  if (current?.issuer === GRAPH_ISSUER[to]) return;
  if (current) await api.delete(`${DM}/derivedCredentials/${current.id}`);
  await api.post(`${DM}/derivedCredentials`, { displayName: `TEST fleet issuer (${to})`, issuer: GRAPH_ISSUER[to], notificationType: "companyPortal" });
  const profiles = await api.get<{ value: { id: string; displayName: string; needsEdit?: boolean }[] }>(`${DM}/deviceConfigurations`);
  for (const p of profiles.value) if (p.needsEdit) await api.patch(`${DM}/deviceConfigurations/${p.id}`, { displayName: p.displayName });
}

/** The tenant of one stack: its issuer, a fleet group, and the profiles that use the derived credential (docs/intune.md §1.6). */
export async function configureTenant(api: JsonClient, rootDer: ArrayBuffer, issuer: IssuerName): Promise<string> {
  const DM = "/tenant/beta/deviceManagement";
  const existing = await api.get<{ value: { issuer: string }[] }>(`${DM}/derivedCredentials`);
  const current = existing.value[0]?.issuer;
  if (current === undefined)
    await api.post(`${DM}/derivedCredentials`, { displayName: "TEST fleet issuer", issuer: GRAPH_ISSUER[issuer], notificationType: "companyPortal" });
  else if (current !== GRAPH_ISSUER[issuer])
    throw new DpclabError(`the tenant's derived credential issuer is ${current}, not ${GRAPH_ISSUER[issuer]}: run the fleet with that --issuer`, "usage");
  const group = await api.post<{ id: string }>("/tenant/beta/groups", { displayName: "TEST fleet devices" });
  const root = Buffer.from(rootDer).toString("base64");
  const profiles: Record<string, unknown>[] = [
    { type: "iosTrustedRootCertificate", trustedRootCertificate: root, certFileName: "dpclab-test-root.cer" },
    { type: "androidDeviceOwnerTrustedRootCertificate", trustedRootCertificate: root, certFileName: "dpclab-test-root.cer" },
    { type: "iosDerivedCredentialAuthenticationConfiguration" },
    { type: "androidDeviceOwnerDerivedCredentialAuthenticationConfiguration" },
    { type: "iosEnterpriseWiFiConfiguration", ssid: "TEST-corp", eapType: "eapTls", authenticationMethod: "derivedCredential" },
    { type: "androidDeviceOwnerEnterpriseWiFiConfiguration", ssid: "TEST-corp", eapType: "eapTls", authenticationMethod: "derivedCredential" },
    {
      type: "iosEasEmailProfileConfiguration",
      hostName: "mail.test.example",
      authenticationMethod: "derivedCredential",
      signingCertificateType: "derivedCredential",
    },
  ];
  for (const { type, ...settings } of profiles) {
    const created = await api.post<{ id: string }>(`${DM}/deviceConfigurations`, {
      "@odata.type": `#microsoft.graph.${type}`,
      displayName: `TEST fleet ${type}`,
      ...settings,
    });
    await api.post(`${DM}/deviceConfigurations/${created.id}/assign`, { assignments: [{ target: { groupId: group.id } }] });
  }
  return group.id;
}
