import { DpclabError } from "../../errors.js";
import { intFlag, parseFlags } from "../args.js";
import { openLab } from "../lab-context.js";

const TERMINATE = "dpclab accounts terminate [--dir D] --card I";

export async function accountsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== "terminate") throw new DpclabError(`unknown accounts command "${sub ?? ""}" (terminate)`, "usage");
  const { values } = parseFlags(rest, { dir: { type: "string" }, card: { type: "string" } }, TERMINATE);
  const { issuer } = await openLab(values.dir);
  const index = intFlag(values.card, "--card");
  const account = issuer.terminateAccount(index);
  issuer.save();
  console.log(`PIV identity account of card ${index} (${account.cardholder.commonName}) is terminated since ${account.statusChangedAt}`);
  return 0;
}
