import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, posix, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

// The import rules of docs/architecture.md ("Components and import rules"), checked on the source itself.
// A component is a folder; its public surface is its index.ts. Every relative import of every .ts file under the
// production trees becomes an edge (file:line -> file); the rules below judge the edges and the folder graph they
// make. Tests (test/) are not checked: a test may reach into a component's internals to test them.

const REPO = resolve(import.meta.dirname, "../..");
const TREES = ["src", "emulators", "fleet", "scenarios", "bench"];

/** Folders that are composition roots: they wire the components together and may import any of them. */
const COMPOSITION_ROOTS = ["src/cli", "src/conformance/active", "src/api", "bench"];

/**
 * Folders without an index.ts on purpose: each file in them is a module of its own, imported by path.
 * `src` holds the small leaf modules every layer uses (clock, der, errors, random, text-table, x509); `src/cli` is the
 * CLI's own files (bin/dpclab.js is their user, and the composition roots may share its helpers); `fleet`'s root
 * files are the device model and the enrolment the fleet parts use. Any other component must have an index.ts.
 */
const OPEN_FOLDERS = ["src", "src/cli", "fleet"];

/**
 * Sub-folders that are part of their parent's component rather than components of their own: the CLI's commands
 * (src/cli/main.ts dispatches to them, they use the CLI's argument parser and progress bar) and the scenario
 * engine's fast-check commands (the catalogue composes them, they act on the scenario model and world). Nothing
 * outside the parent imports them.
 */
const PART_OF: Record<string, string> = { "src/cli/commands": "src/cli", "scenarios/commands": "scenarios" };

/** The component a file belongs to: its folder, or the parent that folder is part of. */
function componentOf(file: string): string {
  const folder = posix.dirname(file);
  return PART_OF[folder] ?? folder;
}

/** The core of src/: everything in src/ but the composition roots. */
const isCore = (component: string) => under(component, "src") && !COMPOSITION_ROOTS.some((root) => under(component, root));
const isRoot = (component: string) => COMPOSITION_ROOTS.some((root) => under(component, root));

function under(path: string, folder: string): boolean {
  return path === folder || path.startsWith(`${folder}/`);
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the imports

type ImportKind = "import" | "export-from" | "dynamic" | "import-type" | "worker-url";

interface Import {
  file: string; // repo-relative, posix
  line: number;
  specifier: string;
  kind: ImportKind;
  typeOnly: boolean;
}

/** Every module reference of a file: static import/export-from, import type, dynamic import(), `import("x").T`, new URL("./w.js", import.meta.url). */
function readImports(file: string, text: string): Import[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const found: Import[] = [];
  const add = (literal: ts.Node, kind: ImportKind, typeOnly: boolean) => {
    if (!ts.isStringLiteralLike(literal)) {
      found.push({ file, line: lineOf(source, literal), specifier: `<not a string literal: ${literal.getText(source)}>`, kind, typeOnly });
      return;
    }
    found.push({ file, line: lineOf(source, literal), specifier: literal.text, kind, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const typeOnly =
        !!clause &&
        (clause.isTypeOnly ||
          (!clause.name &&
            !!clause.namedBindings &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier, "import", typeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      const clause = node.exportClause;
      const typeOnly = node.isTypeOnly || (!!clause && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly));
      add(node.moduleSpecifier, "export-from", typeOnly);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, "import", node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg) add(arg, "dynamic", false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, "import-type", true);
    } else if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "URL" && node.arguments?.length === 2) {
      const [what, base] = node.arguments;
      if (what && base && ts.isStringLiteralLike(what) && /^\.\.?\//.test(what.text) && base.getText(source) === "import.meta.url")
        add(what, "worker-url", false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function lineOf(source: ts.SourceFile, node: ts.Node): number {
  return source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
}

// ---------------------------------------------------------------------------------------------------------------
// The graph

interface Edge extends Import {
  target: string; // repo-relative file, posix ("" when it does not resolve)
  from: string; // component of file
  to: string; // component of target
}

/** The repo as the checker sees it: repo-relative posix paths to file text. */
type SourceTree = Map<string, string>;

function edgesOf(tree: SourceTree): Edge[] {
  const edges: Edge[] = [];
  for (const [file, text] of tree) {
    for (const imp of readImports(file, text)) {
      if (!imp.specifier.startsWith(".") && !imp.specifier.startsWith("<")) continue; // a package (node:fs, pkcs11js, …)
      const joined = imp.specifier.startsWith("<") ? "" : posix.normalize(posix.join(posix.dirname(file), imp.specifier));
      const target = [joined.replace(/\.js$/, ".ts"), joined, `${joined}.ts`, `${joined}/index.ts`].find((t) => tree.has(t)) ?? "";
      edges.push({ ...imp, target, from: componentOf(file), to: target ? componentOf(target) : "" });
    }
  }
  return edges;
}

// ---------------------------------------------------------------------------------------------------------------
// The rules

type Rule = "a" | "b" | "c" | "d" | "e" | "f" | "g";

const RULES: Record<Rule, string> = {
  a: "emulators never import fleet/ or scenarios/",
  b: "fleet never imports scenarios/",
  c: "the core of src/ imports nothing outside src/ and no composition root",
  d: "no import cycle between folders",
  e: "another folder is imported through its index.ts",
  f: "only a composition root imports a composition root",
  g: "an import resolves to a checked .ts file (no test/, no missing file, a string literal)",
};

interface Violation {
  rule: Rule;
  edge: Edge;
  note?: string;
}

function checkEdges(tree: SourceTree, edges: Edge[]): Violation[] {
  const out: Violation[] = [];
  const components = new Set([...tree.keys()].map(componentOf));
  for (const edge of edges) {
    const { from, to, target } = edge;
    if (!target) {
      out.push({ rule: "g", edge });
      continue;
    }
    if (under(from, "emulators") && (under(to, "fleet") || under(to, "scenarios"))) out.push({ rule: "a", edge });
    if (under(from, "fleet") && under(to, "scenarios")) out.push({ rule: "b", edge });
    if (isCore(from) && !isCore(to)) out.push({ rule: "c", edge });
    if (!isRoot(from) && isRoot(to)) out.push({ rule: "f", edge });
    if (from !== to && !OPEN_FOLDERS.includes(to) && target !== `${to}/index.ts`) out.push({ rule: "e", edge });
  }
  for (const cycle of folderCycles(edges)) {
    for (const edge of cycle.edges) out.push({ rule: "d", edge, note: `closes ${shortestLoop(edge, cycle.edges).join(" -> ")}` });
  }
  // An index-less component that is not declared open would make rule (e) unenforceable for it.
  for (const component of components) {
    if (!OPEN_FOLDERS.includes(component) && !tree.has(`${component}/index.ts`)) {
      const edge: Edge = { file: component, line: 0, specifier: "", kind: "import", typeOnly: false, target: "", from: component, to: component };
      out.push({ rule: "e", edge, note: "has no index.ts (add one, or declare the folder in OPEN_FOLDERS)" });
    }
  }
  return out;
}

/** Strongly connected sets of folders (Tarjan), each with the imports that run between its members. */
function folderCycles(edges: Edge[]): { members: string[]; edges: Edge[] }[] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) if (e.target && e.from !== e.to) (next.get(e.from) ?? next.set(e.from, new Set()).get(e.from)!).add(e.to);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const sets: string[][] = [];
  const strong = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const set: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        set.push(w);
      } while (w !== v);
      if (set.length > 1) sets.push(set.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) strong(v);
  return sets.map((members) => ({ members, edges: edges.filter((e) => e.from !== e.to && members.includes(e.from) && members.includes(e.to)) }));
}

/** The shortest folder loop an import closes: its own folder, its target's, and back by the fewest steps. */
function shortestLoop(edge: Edge, within: Edge[]): string[] {
  const back = new Map<string, string>([[edge.to, ""]]);
  const queue = [edge.to];
  while (queue.length > 0 && !back.has(edge.from)) {
    const at = queue.shift()!;
    for (const e of within) {
      if (e.from === at && !back.has(e.to)) {
        back.set(e.to, at);
        queue.push(e.to);
      }
    }
  }
  const path = [edge.from];
  for (let at = back.get(edge.from); at; at = back.get(at)) path.unshift(at);
  return [edge.from, ...path];
}

function describeViolation({ rule, edge, note }: Violation): string {
  const target = edge.target || edge.specifier;
  const extras = [edge.typeOnly ? "type only" : "", edge.kind === "dynamic" || edge.kind === "worker-url" ? edge.kind : "", note ?? ""].filter(Boolean);
  const why = `(${rule}: ${RULES[rule]}${extras.length ? `; ${extras.join("; ")}` : ""})`;
  return edge.line ? `${edge.file}:${edge.line} -> ${target} ${why}` : `${edge.file}/ ${why}`;
}

// ---------------------------------------------------------------------------------------------------------------
// The repository

function readTree(tops: string[] = TREES): SourceTree {
  const tree: SourceTree = new Map();
  const walk = (dir: string) => {
    for (const name of readdirSync(join(REPO, dir)).sort()) {
      const path = `${dir}/${name}`;
      if (name === "node_modules") continue;
      if (statSync(join(REPO, path)).isDirectory()) walk(path);
      else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) tree.set(path, readFileSync(join(REPO, path), "utf8"));
    }
  };
  for (const top of tops) if (existsSync(join(REPO, top))) walk(top);
  return tree;
}

const tree = readTree();
const edges = edgesOf(tree);
const violations = checkEdges(tree, edges);

function assertNone(rule: Rule): void {
  const lines = violations.filter((v) => v.rule === rule).map(describeViolation);
  if (lines.length > 0) {
    expect.fail(
      `${lines.length} import(s) break rule (${rule}) ${RULES[rule]} — see docs/architecture.md, "Components and import rules":\n  ${lines.join("\n  ")}\n`,
    );
  }
}

describe("import rules (docs/architecture.md: Components and import rules)", () => {
  it("reads the whole source tree", () => {
    expect(tree.size).toBeGreaterThan(100);
    expect(edges.length).toBeGreaterThan(500);
    for (const root of COMPOSITION_ROOTS)
      expect(
        [...tree.keys()].some((f) => under(f, root)),
        root,
      ).toBe(true);
    for (const folder of [...OPEN_FOLDERS, ...Object.keys(PART_OF)])
      expect(
        [...tree.keys()].some((f) => posix.dirname(f) === folder),
        folder,
      ).toBe(true);
  });

  for (const rule of Object.keys(RULES) as Rule[]) it(`(${rule}) ${RULES[rule]}`, () => assertNone(rule));

  // @peculiar/x509 2 needs reflect-metadata loaded before it (its tsyringe container throws otherwise); src/x509.ts
  // loads both in that order, so every other module — tests and examples too — must go through it.
  it("only src/x509.ts imports @peculiar/x509 (it loads reflect-metadata first)", () => {
    const everywhere = readTree([...TREES, "test", "examples"]);
    const direct = [...everywhere]
      .flatMap(([file, text]) => readImports(file, text))
      .filter((imp) => imp.specifier === "@peculiar/x509" && imp.file !== "src/x509.ts" && !imp.typeOnly)
      .map((imp) => `${imp.file}:${imp.line}`);
    expect(everywhere.has("src/x509.ts")).toBe(true);
    expect(direct, "import from src/x509.ts instead").toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The checker itself: each rule must flag a synthetic bad tree, and a good tree must pass.

function synthetic(files: Record<string, string>): string[] {
  const t: SourceTree = new Map(Object.entries(files));
  return checkEdges(t, edgesOf(t)).map(describeViolation).sort();
}

describe("the import-rule checker", () => {
  it("reads every kind of module reference, with its line, and nothing in comments or strings", () => {
    const text = [
      `import { a } from "./a.js";`,
      `import type { B } from "./b.js";`,
      `import { type C, type D } from "./c.js";`,
      `import { type E, f } from "./e.js";`,
      `export * from "./g.js";`,
      `export type { H } from "./h.js";`,
      `import "./side-effect.js";`,
      `const m = () => import("./lazy.js");`,
      `let t: import("./typed.js").T;`,
      `// import { x } from "./comment.js";`,
      `const s = 'import { y } from "./string.js"';`,
      `import {`,
      `  z,`,
      `} from "../multi/index.js";`,
      `const w = new URL("./worker.js", import.meta.url);`,
      `const u = new URL("/pki", origin);`,
      `import { readFileSync } from "node:fs";`,
    ].join("\n");
    const got = readImports("x/y.ts", text).map((i) => `${i.line} ${i.kind} ${i.specifier}${i.typeOnly ? " type" : ""}`);
    expect(got).toEqual([
      "1 import ./a.js",
      "2 import ./b.js type",
      "3 import ./c.js type",
      "4 import ./e.js",
      "5 export-from ./g.js",
      "6 export-from ./h.js type",
      "7 import ./side-effect.js",
      "8 dynamic ./lazy.js",
      "9 import-type ./typed.js type",
      "14 import ../multi/index.js",
      "15 worker-url ./worker.js",
      "17 import node:fs",
    ]);
  });

  it("passes a tree that keeps the rules", () => {
    expect(
      synthetic({
        "src/clock.ts": `export const now = 1;`,
        "src/pki/index.ts": `export * from "./ca.js";`,
        "src/pki/ca.ts": `import { now } from "../clock.js";`,
        "emulators/tenant/index.ts": `import { x } from "../../src/pki/index.js"; import { y } from "./own.js";`,
        "emulators/tenant/own.ts": ``,
        "fleet/agent/index.ts": `import { t } from "../../emulators/tenant/index.js";`,
        "scenarios/index.ts": `import { a } from "../fleet/agent/index.js";`,
        "src/cli/main.ts": `import("../../scenarios/index.js"); import { a } from "../../fleet/agent/index.js";`,
        "bench/index.ts": `import { now } from "../src/clock.js";`,
        // a sub-folder that is part of its parent's component may import the parent's files, and back
        "src/cli/args.ts": ``,
        "src/cli/commands/cards.ts": `import { parseFlags } from "../args.js";`,
        "scenarios/model.ts": `import { cmds } from "./commands/index.js";`,
        "scenarios/commands/index.ts": `import { model } from "../model.js";`,
      }),
    ).toEqual([]);
  });

  it("flags each broken rule, one line per offending import", () => {
    expect(
      synthetic({
        "src/clock.ts": `import { t } from "../emulators/tenant/index.js";`,
        "src/pki/index.ts": `import { main } from "../cli/main.js";\nimport { p } from "../piv/index.js";`,
        "src/piv/index.ts": `import type { Ca } from "../pki/ca.js";`,
        "src/pki/ca.ts": ``,
        "src/cli/main.ts": ``,
        "emulators/tenant/index.ts": `import { a } from "../../fleet/agent/index.js";\nconst s = import("../../scenarios/index.js");`,
        "fleet/agent/index.ts": `export * from "../../scenarios/index.js";\nimport { m } from "../../test/helpers/x.js";`,
        "scenarios/index.ts": `import { main } from "../src/cli/main.js";\nconst plugin = (name: string) => import(name);`,
        "scenarios/no-index/thing.ts": ``,
      }),
    ).toEqual(
      [
        `src/clock.ts:1 -> emulators/tenant/index.ts (c: ${RULES.c})`,
        `src/pki/index.ts:1 -> src/cli/main.ts (c: ${RULES.c})`,
        `src/pki/index.ts:1 -> src/cli/main.ts (f: ${RULES.f})`,
        `src/pki/index.ts:2 -> src/piv/index.ts (d: ${RULES.d}; closes src/pki -> src/piv -> src/pki)`,
        `src/piv/index.ts:1 -> src/pki/ca.ts (d: ${RULES.d}; type only; closes src/piv -> src/pki -> src/piv)`,
        `src/piv/index.ts:1 -> src/pki/ca.ts (e: ${RULES.e}; type only)`,
        `emulators/tenant/index.ts:1 -> fleet/agent/index.ts (a: ${RULES.a})`,
        `emulators/tenant/index.ts:2 -> scenarios/index.ts (a: ${RULES.a}; dynamic)`,
        `fleet/agent/index.ts:1 -> scenarios/index.ts (b: ${RULES.b})`,
        `fleet/agent/index.ts:2 -> ../../test/helpers/x.js (g: ${RULES.g})`,
        `scenarios/index.ts:1 -> src/cli/main.ts (f: ${RULES.f})`,
        `scenarios/index.ts:2 -> <not a string literal: name> (g: ${RULES.g}; dynamic)`,
        `scenarios/no-index/ (e: ${RULES.e}; has no index.ts (add one, or declare the folder in OPEN_FOLDERS))`,
      ].sort(),
    );
  });

  it("names every folder of a longer cycle (emulators/shared -> derived -> shared)", () => {
    const found = synthetic({
      "emulators/shared/index.ts": `export * from "./outbox.js";`,
      "emulators/shared/outbox.ts": `import type { Notice } from "../derived/index.js";`,
      "emulators/derived/index.ts": `import { outbox } from "../tenant/index.js";`,
      "emulators/tenant/index.ts": `import { outbox } from "../shared/index.js";`,
    });
    expect(found).toEqual([
      `emulators/derived/index.ts:1 -> emulators/tenant/index.ts (d: ${RULES.d}; closes emulators/derived -> emulators/tenant -> emulators/shared -> emulators/derived)`,
      `emulators/shared/outbox.ts:1 -> emulators/derived/index.ts (d: ${RULES.d}; type only; closes emulators/shared -> emulators/derived -> emulators/tenant -> emulators/shared)`,
      `emulators/tenant/index.ts:1 -> emulators/shared/index.ts (d: ${RULES.d}; closes emulators/tenant -> emulators/shared -> emulators/derived -> emulators/tenant)`,
    ]);
  });
});
