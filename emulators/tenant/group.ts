import { asObject, bad, notWritable, onlyKnown, str } from "./input.js";

/** A group of managed devices; profiles are assigned to groups (docs/intune.md §1.6). */
export interface Group {
  id: string;
  displayName: string;
  description: string;
  /** Managed device ids. */
  members: string[];
}

export function parseGroup(input: unknown, id: string): Group {
  const body = asObject(input, "group");
  notWritable(body, ["id", "members"], "group");
  onlyKnown(body, ["displayName", "description"], "group");
  return { id, displayName: str(body, "displayName", { required: true }) as string, description: str(body, "description") ?? "", members: [] };
}

/** `{ "deviceId": "…" }`: adds a managed device to a group. */
export function parseMemberRef(input: unknown): string {
  const body = asObject(input, "group member");
  onlyKnown(body, ["deviceId"], "group member");
  const deviceId = str(body, "deviceId", { required: true });
  if (!deviceId) throw bad(`"deviceId" is required`);
  return deviceId;
}
