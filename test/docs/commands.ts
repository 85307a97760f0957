/**
 * The shell commands the README and docs/ show, as a reader would type them: every line of a ```sh (or unlabelled)
 * block, continuation lines joined, trailing comments dropped, with the variable assignments of its block.
 */
import * as fs from "fs";
import * as path from "path";

import { ROOT } from "../harness";

export interface DocCommand {
    /** `README.md` or `docs/<name>.md`. */
    doc: string;
    /** The command line (one `&&` part of a line). */
    line: string;
    /** `NAME=value` assignments earlier in the same block, which the line may use. */
    assignments: string[];
}

/** Splits a command line into words as sh does for the simple quoting the docs use ('...' and "..."). */
export function words(line: string): string[] {
    return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

export function docFiles(): string[] {
    return ["README.md", ...fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`)];
}

/**
 * The bodies of a Markdown text's shell blocks (```sh, ```bash, ```shell or unlabelled), pairing fences in order: a
 * block of another language (```mermaid, ```yaml) is skipped whole, so its closing fence never opens a block.
 */
export function shellBlocks(text: string): string[] {
    const blocks: string[] = [];
    let open: { shell: boolean; lines: string[] } | undefined;
    for (const line of text.split("\n")) {
        const fence = /^```\s*([\w-]*)\s*$/.exec(line);
        if (!fence) {
            open?.lines.push(line);
            continue;
        }
        if (open) {
            if (open.shell) blocks.push(`${open.lines.join("\n")}\n`);
            open = undefined;
        } else open = { shell: ["", "sh", "bash", "shell"].includes(fence[1]), lines: [] };
    }
    return blocks;
}

/** Every command of the docs' shell blocks. */
export function docCommands(): DocCommand[] {
    const out: DocCommand[] = [];
    for (const doc of docFiles()) {
        const text = fs.readFileSync(path.join(ROOT, doc), "utf8");
        for (const block of shellBlocks(text)) {
            const assignments: string[] = [];
            for (const raw of block.replace(/\\\n\s*/g, " ").split("\n")) {
                const line = raw.replace(/(^|\s+)#.*$/, "").trim();
                if (!line) continue;
                if (/^([A-Z_]+=\S+\s*)+$/.test(line)) {
                    assignments.push(line);
                    continue;
                }
                for (const part of line.split(/\s+(?:&&|;)\s+/)) out.push({ doc, line: part.trim(), assignments: [...assignments] });
            }
        }
    }
    return out;
}

/** The commands that run offline, in this repository: the project's npm scripts (not `npm ci`, not `npm test` itself). */
export function offlineCommands(): DocCommand[] {
    return docCommands().filter((c) => /^npm run\b/.test(c.line) && !/^npm run (-s )?test/.test(c.line));
}
