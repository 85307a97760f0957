/**
 * The network paths between A01, A02 and the platform, as a Mermaid flowchart drawn from a plan's security-group rules
 * (every path the platform opens is a rule resource), so the picture in docs/architecture.md is generated, and a test
 * keeps it equal to what the prod plan opens:
 *
 *   npm run -s network-diagram -- [--stack prod] [--workspaces]
 *
 * `--workspaces` draws the stack with Studio workspaces on (`EXAMPLE_WORKSPACES`), as docs/architecture.md shows it.
 */
import { RecordedResource, ReferenceFixtures } from "../offline/mocks";

const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
const SG = "aws:ec2/securityGroup:SecurityGroup";

/** The `workspaces` value the picture is drawn with: one engineer; the paths do not depend on how many. */
export const EXAMPLE_WORKSPACES = { engineers: [{ id: "engineer@example.com" }] };

/** Mermaid node id and label of each endpoint a rule can name. */
function endpoints(resources: RecordedResource[], refs: { foundation?: Record<string, any>; dask?: Record<string, any> }, namePrefix: string): Map<string, [string, string]> {
    const map = new Map<string, [string, string]>();
    for (const r of resources.filter((x) => x.type === SG && x.id)) {
        const short = r.name.replace(`${namePrefix}-`, "").replace(/-sg$/, "");
        map.set(r.id!, [short.replace(/[^A-Za-z0-9]/g, "_"), `platform: ${short}`]);
    }
    const f = refs.foundation ?? {};
    for (const sg of f.userAccessSecurityGroupIds ?? []) map.set(sg, ["a01_users", "A01 user access (VPN/bastion)"]);
    for (const cidr of f.userAccessCidrs ?? []) map.set(cidr, ["a01_users", "A01 user access (VPN/bastion)"]);
    if (f.efsSecurityGroupId) map.set(f.efsSecurityGroupId, ["a01_efs", "A01 EFS mount targets"]);
    if (refs.dask?.schedulerSecurityGroupId) map.set(refs.dask.schedulerSecurityGroupId, ["a02_scheduler", "A02 Dask scheduler"]);
    map.set("0.0.0.0/0", ["aws_apis", "AWS APIs, ECR (HTTPS)"]);
    return map;
}

/** The flowchart: one edge per distinct (from, to, port) the plan's rules open. */
export function networkDiagram(resources: RecordedResource[], references: ReferenceFixtures, stackNames: { foundation?: string; dask?: string }, namePrefix: string): string {
    const refs = { foundation: stackNames.foundation ? references[stackNames.foundation] : undefined, dask: stackNames.dask ? references[stackNames.dask] : undefined };
    const nodes = endpoints(resources, refs, namePrefix);
    const node = (key: string | undefined) => (key ? (nodes.get(key) ?? [key.replace(/[^A-Za-z0-9]/g, "_"), key]) : undefined);
    const edges = new Set<string>();
    const used = new Map<string, string>();
    for (const r of resources.filter((x) => x.type === INGRESS || x.type === EGRESS)) {
        const i = r.inputs;
        const own = node(i.securityGroupId);
        const other = node(i.referencedSecurityGroupId ?? i.cidrIpv4 ?? i.prefixListId);
        if (!own || !other) continue;
        const [from, to] = r.type === INGRESS ? [other, own] : [own, other];
        const port = i.ipProtocol === "-1" ? "all" : i.fromPort === i.toPort ? `${i.ipProtocol} ${i.fromPort}` : `${i.ipProtocol} ${i.fromPort}-${i.toPort}`;
        used.set(from[0], from[1]);
        used.set(to[0], to[1]);
        edges.add(`    ${from[0]} -->|${port}| ${to[0]}`);
    }
    const declared = [...used].sort(([a], [b]) => a.localeCompare(b)).map(([id, label]) => `    ${id}["${label}"]`);
    return ["```mermaid", "flowchart LR", ...declared, ...[...edges].sort(), "```"].join("\n");
}

if (require.main === module) {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const path = require("path") as typeof import("path");
    const { readStackFile } = require("../offline/stack-config") as typeof import("../offline/stack-config");
    const { runProgram } = require("../offline/run") as typeof import("../offline/run");
    const { loadConfig } = require("../stacks/config") as typeof import("../stacks/config");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const i = process.argv.indexOf("--stack");
    const stack = i >= 0 ? process.argv[i + 1] : "prod";
    const root = path.resolve(__dirname, "..");
    const file = readStackFile(path.join(root, `Pulumi.${stack}.yaml`));
    const references: ReferenceFixtures = JSON.parse(require("fs").readFileSync(path.join(root, "fixtures", "references.json"), "utf8"));
    const config = process.argv.includes("--workspaces") ? { ...file.config, "metaflow-platform:workspaces": JSON.stringify(EXAMPLE_WORKSPACES) } : file.config;
    const loaded = loadConfig(config, { stack });
    if (!loaded.ok) {
        process.stderr.write(`Pulumi.${stack}.yaml is invalid\n`);
        process.exit(2);
    }
    runProgram({ stack, config, secretKeys: file.secretKeys, references, showSecrets: false }).then((run) => {
        process.stdout.write(`${networkDiagram(run.resources, references, loaded.config.references, loaded.config.namePrefix)}\n`);
    });
}
