import { propertySeed } from "../../helpers/fast-check-seed.js";

export const { seed: SEED, params } = propertySeed("fleet/sim");
