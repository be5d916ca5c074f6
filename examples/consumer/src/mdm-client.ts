/**
 * Stands for the team's own code under test: a small client of the MDM's Graph-shaped API that configures the
 * tenant's derived-credential issuer. It knows nothing of dpclab; the tests point it at the lab.
 */
export interface IssuerSettings {
  id: string;
  displayName: string;
  issuer: "purebred" | "entrustDatacard" | "intercede";
  renewalThresholdPercentage: number;
}

export class MdmClient {
  constructor(private readonly baseUrl: string) {}

  async configureIssuer(displayName: string, issuer: IssuerSettings["issuer"]): Promise<IssuerSettings> {
    const r = await fetch(`${this.baseUrl}/tenant/beta/deviceManagement/derivedCredentials`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ displayName, issuer, notificationType: "companyPortal" }),
    });
    if (r.status !== 201) throw new Error(`configuring the issuer failed: ${r.status} ${await r.text()}`);
    return (await r.json()) as IssuerSettings;
  }

  async issuer(id: string): Promise<IssuerSettings> {
    const r = await fetch(`${this.baseUrl}/tenant/beta/deviceManagement/derivedCredentials/${encodeURIComponent(id)}`);
    if (!r.ok) throw new Error(`reading the issuer failed: ${r.status}`);
    return (await r.json()) as IssuerSettings;
  }
}
