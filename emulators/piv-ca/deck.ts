import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Clock } from "../../src/clock.js";
import { type LabDir, writeSoftHsmConf } from "../../src/lab/index.js";
import { buildCcc, buildChuid, buildDiscovery, encodeFascn, type FascN, formatFascn, Pkcs11Library, personalizeCard } from "../../src/piv/index.js";
import { SeededRandom } from "../../src/random.js";
import type { CardIssuer } from "./card-issuer.js";
import type { CardRecord } from "./card-record.js";
import { drawCardholder } from "./cardholders.js";

const CARD_LIFETIME_MS = 5 * 365 * 86_400_000;

export interface CreateCardsOptions {
  count: number;
  seed: string;
  clock: Clock;
  /** Called after each card, for a progress bar. */
  onProgress?: (done: number, total: number) => void;
  /** Build tokens here instead of /dev/shm (tests). */
  scratchDir?: string;
}

/**
 * Personalises `count` new virtual PIV cards and adds them to the lab's deck.
 *
 * SoftHSM provisioning is ~10x faster on tmpfs (token init ~5 ms and P-256 key pair ~3 ms vs ~10/34 ms on disk,
 * docs/architecture.md), so the tokens are built in /dev/shm and then copied into the lab dir, where the deck persists.
 */
export async function createCards(lab: LabDir, issuer: CardIssuer, opts: CreateCardsOptions): Promise<CardRecord[]> {
  const scratch = mkdtempSync(join(opts.scratchDir ?? scratchRoot(), "dpclab-deck-"));
  const scratchTokens = join(scratch, "tokens");
  mkdirSync(scratchTokens);
  const scratchConf = join(scratch, "softhsm2.conf");
  writeSoftHsmConf(scratchConf, scratchTokens);
  const lib = Pkcs11Library.open({ softhsmConf: scratchConf });
  const created: CardRecord[] = [];
  try {
    const first = issuer.cards().length;
    for (let n = 0; n < opts.count; n++) {
      const index = first + n;
      const random = new SeededRandom(opts.seed).fork(`card/${index}`);
      const now = opts.clock.now();
      const fascn: FascN = {
        agencyCode: "9999", // TEST agency: never a real agency's code
        systemCode: "0001",
        credentialNumber: String(index).padStart(6, "0"),
        credentialSeries: "0",
        individualCredentialIssue: "1",
        personIdentifier: random.digits(10),
        organizationalCategory: "1",
        organizationalIdentifier: "9999",
        personOrganizationAssociation: "1",
      };
      const fascnBytes = encodeFascn(fascn);
      const draft = {
        index,
        tokenLabel: "",
        cardholder: drawCardholder(random, index),
        fascn: Buffer.from(fascnBytes).toString("hex"),
        fascnText: formatFascn(fascn),
        cardUuid: random.uuid(),
        pin: random.digits(random.int(6, 8)),
        puk: random.digits(8),
        alg: issuer.config.alg,
        issuedAt: now.toISOString(),
        expires: new Date(now.getTime() + CARD_LIFETIME_MS).toISOString(),
      };
      draft.tokenLabel = draft.cardholder.commonName;
      let serials: CardRecord["certificates"] | undefined;
      const tokenSerial = await personalizeCard(lib, {
        tokenLabel: draft.tokenLabel,
        pin: draft.pin,
        puk: draft.puk,
        alg: draft.alg,
        issueCertificates: async (publicKeys) => {
          const issued = await issuer.issueCardCertificates(draft, publicKeys);
          serials = issued.serials;
          return issued.ders;
        },
        dataObjects: {
          chuid: await buildChuid({ fascn: fascnBytes, guid: draft.cardUuid, expiration: new Date(draft.expires) }, issuer.contentSigner),
          ccc: buildCcc(random.bytes(14)),
          discovery: buildDiscovery(),
        },
      });
      if (!serials) throw new Error("personalisation finished without certificates");
      const card: CardRecord = { ...draft, tokenSerial, certificates: serials };
      issuer.addCard(card);
      created.push(card);
      opts.onProgress?.(n + 1, opts.count);
    }
  } finally {
    // Tokens are only complete once the library lets go of them; then they move into the lab dir.
    lib.close();
    mkdirSync(lab.tokenDir, { recursive: true });
    for (const token of readdirSync(scratchTokens)) cpSync(join(scratchTokens, token), join(lab.tokenDir, token), { recursive: true });
    rmSync(scratch, { recursive: true, force: true });
    issuer.save();
  }
  return created;
}

function scratchRoot(): string {
  return existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
}
