/**
 * The three CrossGuard packs as the Pulumi CLI meets them: name, version (the pack's package.json, which
 * `new PolicyPack` reads from its working directory) and the policies it announces with their config schemas. The
 * offline tools validate `--policy-pack-config` files against this, as the CLI validates them against what each pack
 * announces (`GetAnalyzerInfo`).
 *
 * Pure module: no Pulumi import (the packs' index.ts files are never loaded here).
 */
import * as fs from "fs";
import * as path from "path";

import { AnalyzerInfo } from "../offline/pulumi-cli/policy-config";
import { AWS_RULES } from "./aws/rules";
import { costRules } from "./cost/rules";
import { configSchemaOf, Rule } from "./lib/rule";
import { SECURITY_RULES } from "./security/rules/index";

export interface PackInfo extends AnalyzerInfo {
    /** The pack's directory, the path given to `pulumi preview --policy-pack`. */
    dir: string;
    rules: Rule[];
}

function pack(name: string, folder: string, rules: Rule[]): PackInfo {
    const dir = path.join(__dirname, folder);
    const { version } = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string };
    return { name, version, dir, rules, policies: rules.map((r) => ({ name: r.name, configSchema: configSchemaOf(r) })) };
}

export const PACKS: readonly PackInfo[] = [
    pack("metaflow-security", "security", SECURITY_RULES),
    pack("metaflow-cost", "cost", costRules),
    pack("metaflow-aws-constraints", "aws", AWS_RULES),
];
