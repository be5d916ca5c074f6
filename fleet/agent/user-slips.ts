import type { AdjustableClock } from "../../src/clock.js";
import type { PivCard } from "../../src/piv/index.js";
import { Pkcs11Error } from "../../src/pkcs11/index.js";
import type { SeededRandom } from "../../src/random.js";

/**
 * What goes wrong on the user's side of an enrolment, as rates per occasion (issue 4 §3): a mistyped PIN at the
 * kiosk, a PKCS#11 error from the card (a reader hiccup), a user who takes longer than the one-time secret lives.
 */
export interface SlipRates {
  /** Per PIN entry: the user first types a wrong PIN (the card counts it), then the right one. */
  pinTypo: number;
  /** Per card signature: the card answers CKR_DEVICE_ERROR; the user re-inserts it and starts over. */
  cardError: number;
  /** Per one-time secret shown: the user comes back after it expired (OTP or QR) and starts over. */
  slowUser: number;
}

export const NO_SLIPS: SlipRates = { pinTypo: 0, cardError: 0, slowUser: 0 };

export type SlipKind = "pin" | "pkcs11" | "expired";

/** A device's user slips, drawn from the device's own stream so they replay by seed whatever the worker count. */
export class UserSlips {
  constructor(
    private readonly rates: SlipRates,
    private readonly random: SeededRandom,
    private readonly onSlip: (kind: SlipKind) => void,
  ) {}

  get any(): boolean {
    return this.rates.pinTypo > 0 || this.rates.cardError > 0 || this.rates.slowUser > 0;
  }

  /** The user's card as the kiosk sees it: the same card, with the user's typos and the reader's errors. */
  card(card: PivCard): PivCard {
    if (this.rates.pinTypo === 0 && this.rates.cardError === 0) return card;
    return new Proxy(card, {
      get: (target, prop) => {
        if (prop === "verifyPin")
          return (pin: string) => {
            if (this.#draw(this.rates.pinTypo)) {
              this.onSlip("pin");
              try {
                target.verifyPin(mistype(pin));
              } catch {
                // the card refused it and counted one try; the user types it again
              }
            }
            target.verifyPin(pin);
          };
        if (prop === "sign")
          return (...args: Parameters<PivCard["sign"]>) => {
            if (this.#draw(this.rates.cardError)) {
              this.onSlip("pkcs11");
              throw new Pkcs11Error("CKR_DEVICE_ERROR", "C_Sign");
            }
            return target.sign(...args);
          };
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value; // PivCard keeps #private state
      },
    });
  }

  /** The kiosk showed a secret valid until `expiresAt`: a slow user lets the clock run past it before using it. */
  secretShown(expiresAt: string, clock: AdjustableClock): void {
    if (!this.#draw(this.rates.slowUser)) return;
    const late = Date.parse(expiresAt) + 60_000 - clock.now().getTime();
    if (late > 0) {
      this.onSlip("expired");
      clock.advance(late);
    }
  }

  #draw(rate: number): boolean {
    return rate > 0 && this.random.next() < rate;
  }
}

/** A plausible typo: the last digit changed. */
function mistype(pin: string): string {
  const last = Number(pin.at(-1) ?? "0");
  return `${pin.slice(0, -1)}${(last + 1) % 10}`;
}

/** Slips a user recovers from by starting the issuer's workflow over. */
export function isUserRecoverable(code: string): boolean {
  return code === "secret-expired" || code === "pkcs11-ckr_device_error";
}
