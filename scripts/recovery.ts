/**
 * Restoring the metadata database to a point in time, as commands that can be run (docs/operations.md, "Restoring the
 * metadata database"):
 *
 *   npm run -s recovery -- import-file --export <pulumi stack export file> [--identifier <db identifier>]
 *   npm run -s recovery -- database-urn --export <pulumi stack export file>
 *
 * prints the `pulumi import --file` document that puts the restored instance back into the stack under the same URN.
 * Why a file: the instance is a child of the MetaflowService component and uses the stack's explicit AWS provider, so
 * the import needs its parent and provider (`pulumi import --parent/--provider`, pkg/cmd/pulumi/operations/import.go
 * in the Pulumi CLI v3.259.0); and `pulumi state delete` refuses a resource others depend on unless
 * `--target-dependents` also removes them (pkg/resource/edit/operations.go `DeleteResource`), so those dependents (the
 * task definition, the ECS service, alarms, role policies, autoscaling) are imported back with it, each by the ID
 * format the AWS provider documents for `pulumi import`.
 *
 * Exit 0: printed; 2: unreadable export, no database in it, or a dependent of a type without a known import ID.
 */
import * as fs from "fs";

const RDS_INSTANCE = "aws:rds/instance:Instance";

/** One resource of a `pulumi stack export` (deployment.resources[]). */
export interface ExportedResource {
    urn: string;
    type: string;
    id?: string;
    custom?: boolean;
    parent?: string;
    provider?: string;
    dependencies?: string[];
    propertyDependencies?: Record<string, string[]>;
    outputs?: Record<string, any>;
}

/** The `pulumi import --file` document (`importFile`/`importSpec` in the CLI's import.go). */
export interface ImportFile {
    nameTable: Record<string, string>;
    resources: Array<{ type: string; name: string; id: string; parent?: string; provider?: string }>;
}

class RecoveryError extends Error {}

const last = (s: string, sep: string) => s.slice(s.lastIndexOf(sep) + 1);

/**
 * The ID `pulumi import` takes for each type that depends on the database, from the resource's state: the formats of
 * the `pulumi import` examples in @pulumi/aws's documentation of each resource.
 */
export const IMPORT_IDS: Record<string, (o: Record<string, any>) => string> = {
    [RDS_INSTANCE]: (o) => o.identifier,
    "aws:iam/rolePolicy:RolePolicy": (o) => `${o.role}:${o.name}`,
    "aws:cloudwatch/metricAlarm:MetricAlarm": (o) => o.name,
    "aws:ecs/taskDefinition:TaskDefinition": (o) => o.arn,
    "aws:ecs/service:Service": (o) => `${last(String(o.cluster), "/")}/${o.name}`,
    "aws:appautoscaling/target:Target": (o) => `${o.serviceNamespace}/${o.resourceId}/${o.scalableDimension}`,
    "aws:appautoscaling/policy:Policy": (o) => `${o.serviceNamespace}/${o.resourceId}/${o.scalableDimension}/${o.name}`,
    // The dashboard names the database in its widgets; its import ID is the dashboard's name.
    "aws:cloudwatch/dashboard:Dashboard": (o) => o.dashboardName,
};

/** The URN's resource name (after the last `::`). */
export const urnName = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

/**
 * Everything `pulumi state delete <db> --target-dependents` removes with the database: the resources that depend on it
 * directly or through others (by `dependencies`, `propertyDependencies` or parent).
 */
export function dependentsOf(resources: ExportedResource[], urn: string): ExportedResource[] {
    const condemned = new Set([urn]);
    for (let grew = true; grew; ) {
        grew = false;
        for (const r of resources) {
            if (condemned.has(r.urn)) continue;
            const deps = [...(r.dependencies ?? []), ...Object.values(r.propertyDependencies ?? {}).flat(), ...(r.parent ? [r.parent] : [])];
            if (deps.some((d) => condemned.has(d))) {
                condemned.add(r.urn);
                grew = true;
            }
        }
    }
    return resources.filter((r) => r.urn !== urn && condemned.has(r.urn));
}

/** The import file that puts the database (under `identifier`) and its dependents back under their URNs. */
export function restoreImportFile(resources: ExportedResource[], identifier?: string): { file: ImportFile; database: ExportedResource; dependents: ExportedResource[] } {
    const databases = resources.filter((r) => r.type === RDS_INSTANCE);
    if (databases.length !== 1) throw new RecoveryError(`expected one ${RDS_INSTANCE} in the export, found ${databases.length}: the stack owns no database (a foundation database is restored by A01)`);
    const database = databases[0];
    const dependents = dependentsOf(resources, database.urn);
    const unknown = [...new Set(dependents.map((d) => d.type).filter((t) => !IMPORT_IDS[t]))];
    if (unknown.length) throw new RecoveryError(`no import ID format known for ${unknown.join(", ")} (add it to IMPORT_IDS in scripts/recovery.ts from the type's \`pulumi import\` documentation)`);
    const nameTable: Record<string, string> = {};
    const nameOf = (urn: string | undefined, prefix: string) => {
        if (!urn) return undefined;
        const existing = Object.entries(nameTable).find(([, u]) => u === urn)?.[0];
        if (existing) return existing;
        const name = `${prefix}${Object.keys(nameTable).filter((k) => k.startsWith(prefix)).length}`;
        nameTable[name] = urn;
        return name;
    };
    // A provider reference in state is `<provider URN>::<provider ID>`.
    const providerUrn = (ref: string | undefined) => (ref ? ref.slice(0, ref.lastIndexOf("::")) : undefined);
    const spec = (r: ExportedResource, id: string) => {
        const parent = nameOf(r.parent, "parent");
        const provider = nameOf(providerUrn(r.provider), "provider");
        return { type: r.type, name: urnName(r.urn), id, ...(parent ? { parent } : {}), ...(provider ? { provider } : {}) };
    };
    const file: ImportFile = {
        nameTable,
        resources: [spec(database, identifier ?? IMPORT_IDS[RDS_INSTANCE](database.outputs ?? {})), ...dependents.map((d) => spec(d, IMPORT_IDS[d.type](d.outputs ?? {})))],
    };
    return { file, database, dependents };
}

function main(argv: string[]): { code: number; stdout?: string; stderr?: string } {
    try {
        const [command, ...rest] = argv;
        if (command !== "import-file" && command !== "database-urn") {
            throw new RecoveryError("usage: recovery import-file --export <pulumi stack export file> [--identifier <db identifier>] | recovery database-urn --export <file>");
        }
        const arg = (flag: string) => {
            const i = rest.indexOf(flag);
            return i >= 0 ? rest[i + 1] : undefined;
        };
        const exportFile = arg("--export");
        if (!exportFile) throw new RecoveryError(`recovery ${command}: --export <file> is required (write it with \`pulumi stack export --file <file>\`)`);
        let doc: any;
        try {
            doc = JSON.parse(fs.readFileSync(exportFile, "utf8"));
        } catch (err) {
            throw new RecoveryError(`${exportFile}: cannot read a \`pulumi stack export\`: ${(err as Error).message}`);
        }
        if (!Array.isArray(doc?.deployment?.resources)) throw new RecoveryError(`${exportFile}: not a \`pulumi stack export\` document (no deployment.resources[])`);
        const { file, database } = restoreImportFile(doc.deployment.resources, arg("--identifier"));
        if (command === "database-urn") return { code: 0, stdout: `${database.urn}\n` };
        return { code: 0, stdout: `${JSON.stringify(file, null, 2)}\n` };
    } catch (err) {
        if (err instanceof RecoveryError) return { code: 2, stderr: `${err.message}\n` };
        throw err;
    }
}

if (require.main === module) {
    const r = main(process.argv.slice(2));
    if (r.stdout) process.stdout.write(r.stdout);
    if (r.stderr) process.stderr.write(r.stderr);
    process.exitCode = r.code;
}

export { main as recoveryMain };
