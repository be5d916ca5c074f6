// Simulated iOS/Android agents: one state machine per device, driven by the fleet runner's events.

export { namedClientFetch } from "./client-identity.js";
export {
  AGENT_STATES,
  type AgentEnd,
  type AgentEnvironment,
  type AgentState,
  DeviceAgent,
  type DeviceAgentOptions,
  type DeviceTraits,
  type DeviceUser,
  defaultTraits,
  type PresentableCredential,
  reasonOf,
  type StepOutcome,
} from "./device-agent.js";
export { DEFAULT_MIX, type PlatformMix, parseMix, pickPlatform } from "./platform-mix.js";
export { applyProfiles, type HeldCredential, type ProfileResult } from "./profile-apply.js";
export { RecordingKeystore } from "./recording-keystore.js";
export { AGENT_RETRY_POLICY, type RetryingFetchOptions, type RetryNotice, retryingFetch } from "./retrying-fetch.js";
export { NO_SLIPS, type SlipKind, type SlipRates, UserSlips } from "./user-slips.js";
