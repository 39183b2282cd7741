// Strict checks of a folder of adtrace markdown exports, in one node process.
//
//   node tests/js/check_exports.mjs FOLDER
//
// For every FOLDER/*.md: finds the math spans with markdown-it + markdown-it-dollarmath (the
// JavaScript twin of mdit-py-plugins' dollarmath), also GitHub's $`…`$ and ```math forms, and
// renders each with KaTeX in strict mode (throwOnError, strict: "error"), so an unknown command,
// a missing argument or non-LaTeX input fails. Every ```mermaid block goes through mermaid.parse()
// (mermaid needs a DOM, so jsdom provides window and document) and a lint of the conventions the
// exports promise: quoted labels, ASCII ids, no `end` id, no HTML or math inside labels.
// Prints one JSON report on stdout; exits 1 if any span or diagram fails.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { JSDOM } from "jsdom";
import katex from "katex";
import MarkdownIt from "markdown-it";
import dollarmath from "markdown-it-dollarmath";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });

const md = MarkdownIt("commonmark")
  .enable("table")
  .use(dollarmath, { allow_space: false, allow_digits: false, double_inline: false });

function mathSpans(tokens) {
  const spans = [];
  const mermaids = [];
  for (const token of tokens) {
    if (token.type === "math_block") spans.push({ tex: token.content, display: true });
    else if (token.type === "fence" && token.info.trim() === "math") spans.push({ tex: token.content, display: true });
    else if (token.type === "fence" && token.info.trim() === "mermaid") mermaids.push(token.content);
    else if (token.type === "inline") {
      for (const child of token.children) {
        if (child.type === "math_inline") {
          // GitHub's $`…`$ form: dollarmath sees the backticks as part of the math.
          const m = /^`([\s\S]*)`$/.exec(child.content);
          spans.push({ tex: m ? m[1] : child.content, display: false });
        }
      }
    }
  }
  return { spans, mermaids };
}

const LINE_NODE = /^ {2}([A-Za-z][A-Za-z0-9]*)\["([^"]*)"\]$/;
const LINE_EDGE = /^ {2}([A-Za-z][A-Za-z0-9]*) (?:-->|-\.->)(?:\|"([^"]*)"\|)? ([A-Za-z][A-Za-z0-9]*)$/;

function lintMermaid(source) {
  const problems = [];
  let lines = source.replace(/\n$/, "").split("\n");
  if (lines[0] === "---") {
    // front matter (config: a font size, spacing): skipped up to its closing line
    const end = lines.indexOf("---", 1);
    if (end < 0) problems.push("front matter without its closing '---'");
    lines = lines.slice(end + 1);
  }
  if (!/^flowchart (LR|TD)$/.test(lines[0])) problems.push(`first line is '${lines[0]}', not 'flowchart LR' or 'TD'`);
  for (const line of lines.slice(1)) {
    const node = LINE_NODE.exec(line);
    const edge = LINE_EDGE.exec(line);
    if (!node && !edge) {
      problems.push(`line is not a quoted node or an edge: ${line}`);
      continue;
    }
    const ids = node ? [node[1]] : [edge[1], edge[3]];
    const label = node ? node[2] : edge[2];
    for (const id of ids) if (id.toLowerCase() === "end") problems.push(`'end' used as an id: ${line}`);
    // Mermaid's own line break <br> is the one piece of markup a label may hold.
    if (label !== undefined && /[<>$\\&#`]/.test(label.replaceAll("<br>", ""))) {
      problems.push(`HTML, math or entity in a label: ${line}`);
    }
  }
  return problems;
}

const folder = process.argv[2];
if (!folder) {
  console.error("usage: node check_exports.mjs FOLDER");
  process.exit(2);
}
const report = { files: {}, errors: 0 };
for (const name of readdirSync(folder).filter((n) => n.endsWith(".md")).sort()) {
  const text = readFileSync(join(folder, name), "utf8");
  const { spans, mermaids } = mathSpans(md.parse(text, {}));
  const result = { inline: 0, display: 0, mermaid: mermaids.length, errors: [] };
  for (const span of spans) {
    result[span.display ? "display" : "inline"] += 1;
    try {
      katex.renderToString(span.tex, { displayMode: span.display, throwOnError: true, strict: "error" });
    } catch (error) {
      result.errors.push({ kind: "katex", source: span.tex, message: String(error.message) });
    }
  }
  for (const source of mermaids) {
    try {
      await mermaid.parse(source);
    } catch (error) {
      result.errors.push({ kind: "mermaid", source, message: String(error.message ?? error) });
    }
    for (const problem of lintMermaid(source)) result.errors.push({ kind: "mermaid-lint", source, message: problem });
  }
  report.errors += result.errors.length;
  report.files[name] = result;
}
process.stdout.write(JSON.stringify(report, null, 1) + "\n");
process.exit(report.errors ? 1 : 0);
