import type { SeededRandom } from "../../src/random.js";
import type { Cardholder } from "./identity-account.js";

const GIVEN = [
  "ALEX",
  "BLAIR",
  "CASEY",
  "DANA",
  "EMERY",
  "FRANCIS",
  "GALE",
  "HARPER",
  "JESSIE",
  "KIM",
  "LEE",
  "MORGAN",
  "NOEL",
  "QUINN",
  "RILEY",
  "SAGE",
  "TAYLOR",
];
const SURNAMES = [
  "ADAMS",
  "BAKER",
  "CLARK",
  "DAVIS",
  "EVANS",
  "FOSTER",
  "GARCIA",
  "HILL",
  "JONES",
  "KING",
  "LOPEZ",
  "MOORE",
  "NGUYEN",
  "OWENS",
  "PATEL",
  "REED",
  "SMITH",
  "TURNER",
  "WARD",
  "YOUNG",
];

export const TEST_AGENCY = "DPCLAB TEST Agency";

/**
 * A test cardholder drawn from the seed. The CN follows the DoD "LAST.FIRST.ID" shape, carries TEST, and fits the
 * 32-character PKCS#11 token label (OpenSC labels the token with the CN, docs/sp800-157.md §4).
 */
export function drawCardholder(random: SeededRandom, index: number): Cardholder {
  const givenName = random.pick(GIVEN);
  const surname = random.pick(SURNAMES);
  const id = String(index).padStart(4, "0");
  return {
    commonName: `${surname}.${givenName}.TEST.${id}`,
    givenName,
    surname,
    email: `${givenName}.${surname}.${id}@agency.test`.toLowerCase(),
    agency: TEST_AGENCY,
  };
}
