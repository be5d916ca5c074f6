import { asObject, bad, onlyKnown, str } from "./input.js";

const GROUP_TARGET = "#microsoft.graph.groupAssignmentTarget";

/**
 * The Graph `assign` action body: `{ "assignments": [{ "target": { "@odata.type": "#microsoft.graph.groupAssignmentTarget",
 * "groupId": "…" } }] }`. It replaces the profile's assignments; an empty list unassigns it. Returns the group ids.
 */
export function parseAssignAction(input: unknown): string[] {
  const body = asObject(input, "assign action");
  onlyKnown(body, ["assignments"], "assign action");
  const list = body.assignments;
  if (!Array.isArray(list)) throw bad(`"assignments" must be an array of { target: { groupId } }`, "missing-property");
  if (list.length > 1000) throw bad(`"assignments" lists more than 1000 groups`);
  const groupIds = list.map((item, i) => {
    const a = asObject(item, `assignments[${i}]`);
    onlyKnown(a, ["@odata.type", "id", "target"], `assignments[${i}]`);
    const target = asObject(a.target, `assignments[${i}].target`);
    onlyKnown(target, ["@odata.type", "groupId"], `assignments[${i}].target`);
    if (target["@odata.type"] !== undefined && target["@odata.type"] !== GROUP_TARGET) {
      throw bad(`assignments[${i}].target: only ${GROUP_TARGET} is supported (got ${JSON.stringify(target["@odata.type"])})`, "unsupported-assignment-target");
    }
    return str(target, "groupId", { required: true }) as string;
  });
  return [...new Set(groupIds)];
}

/** The Graph view of a profile's assignments. */
export function toGraphAssignments(profileId: string, groupIds: string[]): { id: string; target: { "@odata.type": string; groupId: string } }[] {
  return groupIds.map((groupId) => ({ id: `${profileId}_${groupId}`, target: { "@odata.type": GROUP_TARGET, groupId } }));
}
