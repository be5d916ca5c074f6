#!/usr/bin/env node
// Rewrites citations of the reference documents that lived outside the repository into citations of the
// repository's own docs/ (issue 12 item 5):
//
//   intune.md §1.7                      → docs/intune.md §1.7
//   sp800-157.md, anchors.md            → docs/sp800-157.md, docs/anchors.md
//   reference/sp800-157.md              → docs/sp800-157.md
//   ../shared/reference/intune.md       → docs/intune.md   (also /work/shared/reference/…)
//   DESIGN.md [pitfalls|rates|…]        → docs/architecture.md [pitfalls|rates|…]
//
// Only the citation text changes: section references after it (§1.7, "pitfalls") stay as they are. A string
// literal that is nothing but a path to one of the old files (code that reads the file, e.g. a test's candidate
// paths) is NOT rewritten, since that is code, not a citation: it is listed at the end for a person to change.
// In markdown tables the cell's padding absorbs the longer text where it can, so columns stay aligned.
//
// Idempotent: a citation already of the docs/ form is left alone, and a second run changes nothing.
// Usage: node scripts/rewrite-citations.mjs [--check] [--quiet]
//   --check  changes nothing; exits 1 when some file would change (for CI).
// No dependencies; run from anywhere inside the repository.

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const check = process.argv.includes("--check");
const quiet = process.argv.includes("--quiet");

/** Files whose text may cite the documents; the checker and this script hold the old forms on purpose. */
const EXTENSIONS = /\.(ts|mts|cts|js|mjs|cjs|md|sh|json|ya?ml|html)$/;
const SKIP = [/^node_modules\//, /^dist\//, /^docs\//, /^test\/fixtures\//, /^scripts\/rewrite-citations\.mjs$/, /^test\/structure\/citations\.test\.ts$/, /package-lock\.json$/];

function listFiles() {
  const out = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" });
  return out
    .split("\0")
    .filter((f) => f && EXTENSIONS.test(f) && !SKIP.some((re) => re.test(f)))
    .sort();
}

// Order matters: the longer (path) forms first, so that a bare-name rule never sees them.
const RULES = [
  // ../shared/reference/x.md, ../../../shared/reference/x.md, /work/shared/reference/x.md
  { re: /(?<![\w.-])(?:(?:\.\.\/)+|\/work\/)shared\/reference\/(intune|sp800-157|anchors)\.md/g, to: (_m, name) => `docs/${name}.md` },
  // reference/x.md (not already docs/…)
  { re: /(?<![\w./-])reference\/(intune|sp800-157|anchors)\.md/g, to: (_m, name) => `docs/${name}.md` },
  // a bare x.md
  { re: /(?<![\w./-])(intune|sp800-157|anchors)\.md/g, to: (_m, name) => `docs/${name}.md` },
  // DESIGN.md, also with a path before it
  { re: /(?<![\w.-])(?:(?:\.\.\/)+|\/work\/)?(?:shared\/)?DESIGN\.md/g, to: () => "docs/architecture.md" },
];

const QUOTES = new Set(['"', "'", "`"]);

/** Is text[start, end) the whole content of a string literal? */
function wholeLiteral(text, start, end) {
  const open = text[start - 1];
  return QUOTES.has(open) && text[end] === open;
}

/** Rewrites a piece of text (a line, or a table cell); returns [text, count, untouched literals]. */
function rewritePiece(piece) {
  let count = 0;
  const literals = [];
  for (const { re, to } of RULES) {
    let out = "";
    let last = 0;
    re.lastIndex = 0;
    for (let m = re.exec(piece); m; m = re.exec(piece)) {
      const start = m.index;
      const end = start + m[0].length;
      if (wholeLiteral(piece, start, end)) {
        literals.push(m[0]);
        continue;
      }
      const replacement = to(...m);
      if (replacement === m[0]) continue;
      out += piece.slice(last, start) + replacement;
      last = end;
      count++;
    }
    piece = out + piece.slice(last);
  }
  return [piece, count, literals];
}

/** Rewrites one line. In a markdown table row each cell gives back the extra width from its trailing padding. */
function rewriteLine(line, markdownTable) {
  if (!markdownTable) return rewritePiece(line);
  let count = 0;
  const literals = [];
  const cells = line.split(/(?<!\\)\|/).map((cell) => {
    const [next, n, lit] = rewritePiece(cell);
    count += n;
    literals.push(...lit);
    const grow = next.length - cell.length;
    const pad = / +$/.exec(next)?.[0].length ?? 0;
    return grow > 0 && pad > grow ? next.slice(0, next.length - grow) : next;
  });
  return [cells.join("|"), count, literals];
}

function rewrite(text, file) {
  const md = file.endsWith(".md");
  let total = 0;
  const literals = [];
  const lines = text.split("\n").map((line) => {
    const [next, n, lit] = rewriteLine(line, md && /^\s*\|/.test(line));
    total += n;
    literals.push(...lit);
    return next;
  });
  return { text: lines.join("\n"), count: total, literals };
}

let files = 0;
let total = 0;
const leftAlone = [];
for (const file of listFiles()) {
  const path = join(ROOT, file);
  let text;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    continue; // listed but deleted in the work tree
  }
  const result = rewrite(text, file);
  for (const l of result.literals) leftAlone.push(`${file}: "${l}"`);
  if (result.count === 0) continue;
  files++;
  total += result.count;
  if (!quiet) console.log(`${String(result.count).padStart(4)}  ${file}`);
  if (!check) writeFileSync(path, result.text);
}
console.log(`${check ? "would rewrite" : "rewrote"} ${total} citation${total === 1 ? "" : "s"} in ${files} file${files === 1 ? "" : "s"}`);
if (leftAlone.length > 0) {
  console.log(`left alone (a string literal that is only a path, i.e. code that reads the file; change it by hand):`);
  for (const l of leftAlone) console.log(`  ${l}`);
}
if (check && total > 0) process.exit(1);
