import { DpclabError } from "../../src/errors.js";
import type { Route } from "../shared/index.js";
import { JsonResponse, readJsonObject } from "../shared/index.js";
import type { ApplicantAuthenticator } from "./applicant-auth.js";
import type { ApplicantSession, IssuerName } from "./types.js";

/**
 * The kiosk sign-in every issuer starts with (DC-ISS-04): POST …/kiosk/challenge, then POST …/kiosk/login with the
 * card's 9A certificate and signature. The session id that comes back is the bearer token of the kiosk steps.
 */
export function kioskRoutes(issuer: IssuerName, auth: ApplicantAuthenticator): Route[] {
  const base = `/issuers/${issuer}/kiosk`;
  return [
    { method: "POST", path: `${base}/challenge`, handle: () => JsonResponse.of(auth.challenge(), { status: 201 }) },
    {
      method: "POST",
      path: `${base}/login`,
      handle: async (req) => {
        const body = await readJsonObject(req, ["challengeId", "certificate", "signature"]);
        const session = await auth.authenticate({
          challengeId: String(body.challengeId ?? ""),
          certificate: String(body.certificate ?? ""),
          signature: String(body.signature ?? ""),
        });
        return JsonResponse.of(
          {
            sessionId: session.id,
            cardIndex: session.cardIndex,
            cardholder: session.account.cardholder.commonName,
            authenticatedAt: session.authenticatedAt.toISOString(),
          },
          { status: 201 },
        );
      },
    },
  ];
}

/** The kiosk session named by `Authorization: Bearer <sessionId>`; 401 problem when absent, unknown or expired. */
export function kioskSession(req: Request, auth: ApplicantAuthenticator): ApplicantSession {
  const header = req.headers.get("authorization") ?? "";
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) throw new DpclabError("sign in at the kiosk first (Authorization: Bearer <sessionId>)", "no-session", 401);
  return auth.session(m[1] as string);
}
