/**
 * The list of AWS calls the IAM simulation grants (test/iam/metaflow-calls.ts) against Metaflow 2.19.38's own source:
 * each fact's line still says what the fact claims, and the source makes no call the list leaves out.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

import { METAFLOW_CALLS } from "../../iam/metaflow-calls";
import { unavailable, vendored } from "../support/env";

function metaflowRoot(ctx: Mocha.Context): string {
    const dir = vendored("metaflow-2.19.38.tar.gz");
    if (!dir) unavailable(ctx, "../shared/vendor/metaflow-2.19.38.tar.gz");
    return path.join(dir!, "metaflow-2.19.38");
}

const lines = (root: string, file: string) => fs.readFileSync(path.join(root, file), "utf8").split("\n");

describe("Metaflow 2.19.38's AWS calls, from its source", () => {
    it("each listed call is on the line the list cites", function () {
        const root = metaflowRoot(this);
        const wrong = METAFLOW_CALLS.filter((c) => !(lines(root, c.file)[c.line - 1] ?? "").includes(c.text)).map((c) => `${c.file}:${c.line} does not contain ${c.text}`);
        expect(wrong).to.deep.equal([]);
    });

    it("every boto3 call of the AWS plugins that a listed file makes is in the list (or explained)", function () {
        const root = metaflowRoot(this);
        // Not AWS operations that need a grant: STS GetCallerIdentity needs no permission; step_functions.py's
        // `self._client.push` is Metaflow's own StepFunctionsClient (whose create/update calls are listed).
        const exempt = new Set(["get_caller_identity", "push"]);
        const files = [...new Set(METAFLOW_CALLS.map((c) => c.file))].filter((f) => f.includes("/aws/"));
        const missing: string[] = [];
        for (const file of files) {
            lines(root, file).forEach((text, i) => {
                for (const m of text.matchAll(/_client\.(\w+)\(|get_paginator\("(\w+)"\)/g)) {
                    const op = m[1] ?? m[2];
                    if (exempt.has(op) || op === "get_paginator" || op === "exceptions") continue;
                    if (!METAFLOW_CALLS.some((c) => c.file === file && c.line === i + 1) && !METAFLOW_CALLS.some((c) => c.file === file && lines(root, file)[c.line - 1].includes(op))) {
                        missing.push(`${file}:${i + 1} ${op}`);
                    }
                }
            });
        }
        expect(missing).to.deep.equal([]);
    });

    it("no S3 delete and no CloudWatch Logs client anywhere in Metaflow's AWS and datastore code", function () {
        const root = metaflowRoot(this);
        const found: string[] = [];
        const walk = (dir: string): void => {
            for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
                const p = path.join(dir, e.name);
                if (e.isDirectory()) walk(p);
                else if (e.name.endsWith(".py")) {
                    lines(root, path.relative(root, p)).forEach((t, i) => {
                        if (/\.delete_objects?\(|get_aws_client\(\s*["']logs["']/.test(t)) found.push(`${path.relative(root, p)}:${i + 1}`);
                    });
                }
            }
        };
        for (const d of ["metaflow/plugins/aws", "metaflow/plugins/datatools", "metaflow/plugins/datastores", "metaflow/datastore"]) walk(path.join(root, d));
        expect(found).to.deep.equal([]);
    });
});
