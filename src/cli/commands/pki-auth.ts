import { systemClock } from "../../clock.js";
import { intFlag, parseFlags } from "../args.js";
import { openLab } from "../lab-context.js";
import { formatStep, runPkiAuth } from "../run-pki-auth.js";

const USAGE = "dpclab pki-auth [--dir D] --card I [--pin P] [--online] [--json]";

/** FIPS 201-3 §6.2.3.1 PKI-AUTH with one card of the deck; exit 1 when authentication fails. */
export async function pkiAuthCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    { dir: { type: "string" }, card: { type: "string" }, pin: { type: "string" }, online: { type: "boolean" }, json: { type: "boolean" } },
    USAGE,
  );
  const { lab, issuer } = await openLab(values.dir);
  const card = issuer.card(intFlag(values.card, "--card"));
  if (!values.json) console.log(`PKI-AUTH with card ${card.index} (${card.tokenLabel})`);
  const result = await runPkiAuth(lab, issuer, card, {
    pin: values.pin,
    online: values.online,
    clock: systemClock,
    onStep: values.json ? undefined : (s) => console.log(formatStep(s)),
  });
  if (values.json) {
    const { certificate: _c, ...rest } = result;
    console.log(JSON.stringify(rest, null, 2));
  } else {
    console.log(result.ok ? `result: AUTHENTICATED ${result.subject}` : `result: REJECTED (${result.reason}) ${result.detail}`);
  }
  return result.ok ? 0 : 1;
}
