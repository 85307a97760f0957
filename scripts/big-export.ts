/**
 * A large `pulumi stack export` document for measuring `policy check`: the prod plan's resources repeated under
 * distinct names (URNs, ids, ARNs and the values that link them are rewritten per copy), with one stack resource and
 * one provider, as a real export of many stacks' worth of resources would look. Generated on demand by the bench;
 * never committed.
 *
 *   node -r ./scripts/register-ts.js scripts/big-export.ts <resources> <file>
 */
import * as fs from "fs";
import * as path from "path";

import { plan } from "./plan";

const ROOT = path.resolve(__dirname, "..");

interface PlanDoc {
    stack: string;
    resources: Array<{ urn: string; type: string; name: string; parent: string | null; provider: string | null; dependencies?: string[]; inputs: Record<string, unknown>; outputs?: Record<string, unknown>; protect?: boolean }>;
}

/** Writes an export of about `count` resources to `file`; returns its size in bytes and its resource count. */
export async function writeBigExport(count: number, file: string): Promise<{ bytes: number; resources: number }> {
    const planned = (await plan({ stack: "prod", references: path.join(ROOT, "fixtures/references.json"), json: true, showSecrets: false })).document as unknown as PlanDoc;
    const stack = "big";
    const stackUrn = `urn:pulumi:${stack}::metaflow-platform::pulumi:pulumi:Stack::metaflow-platform-${stack}`;
    const providerUrn = `urn:pulumi:${stack}::metaflow-platform::pulumi:providers:aws::default`;
    const template = planned.resources.filter((r) => r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:"));
    const copies = Math.max(1, Math.ceil((count - 2) / template.length));
    const out = fs.openSync(file, "w");
    let bytes = 0;
    const write = (text: string) => {
        bytes += Buffer.byteLength(text);
        fs.writeSync(out, text);
    };
    write(`{"version":3,"deployment":{"manifest":{"time":"2026-11-29T00:00:00Z","magic":"bench","version":"v3.259.0"},"resources":[`);
    write(JSON.stringify({ urn: stackUrn, custom: false, type: "pulumi:pulumi:Stack", outputs: {} }));
    const provider = planned.resources.find((r) => r.type === "pulumi:providers:aws");
    write(`,${JSON.stringify({ urn: providerUrn, custom: true, id: "provider-id", type: "pulumi:providers:aws", inputs: provider?.inputs ?? { region: "us-east-1" } })}`);
    let written = 2;
    const source = planned.stack;
    for (let c = 0; c < copies && written < count; c++) {
        // Every name of the copy gets its own suffix, so copies link among themselves and not across.
        const rename = (text: string) => text.split(`urn:pulumi:${source}::`).join(`urn:pulumi:${stack}::`).replace(/mf-prod/g, `mf-c${c}`);
        for (const r of template) {
            if (written >= count) break;
            const doc = JSON.parse(rename(JSON.stringify({ urn: r.urn, type: r.type, inputs: r.inputs, outputs: r.outputs ?? {}, parent: r.parent ?? stackUrn, dependencies: r.dependencies ?? [] })));
            if (!doc.urn.includes(`mf-c${c}`)) doc.urn += `-c${c}`;
            write(`,${JSON.stringify({ ...doc, custom: true, id: `${r.name.replace(/mf-prod/g, `mf-c${c}`)}-id`, provider: `${providerUrn}::provider-id`, protect: r.protect ?? false })}`);
            written++;
        }
    }
    write("]}}\n");
    fs.closeSync(out);
    return { bytes, resources: written };
}

if (require.main === module) {
    const [count, file] = process.argv.slice(2);
    writeBigExport(Number(count), file).then(
        (r) => process.stdout.write(`wrote ${file}: ${r.resources} resources, ${(r.bytes / 1e6).toFixed(1)} MB\n`),
        (err) => {
            process.stderr.write(`${(err as Error).stack}\n`);
            process.exitCode = 1;
        },
    );
}
