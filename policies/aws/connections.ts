/**
 * `aws-rds-connections`: the metadata service's peak connections fit the stack's RDS for PostgreSQL instance's default
 * max_connections. The same rule the configuration applies (components/metaflow-service/connections.ts), read here
 * from the planned resources: the ECS services whose containers connect to the database (MF_METADATA_DB_HOST), each at
 * its autoscaling maximum (or desired count) times its deployment's maximum percent, against the instance's class.
 */
import { DEPLOYMENT_MAX_FACTOR, maxConnections, MIGRATION_CONNECTIONS, SERVICE_TASK_CONNECTIONS, SUPERUSER_RESERVED } from "../../components/metaflow-service/connections";
import { StackRule } from "../lib/rule";
import { T } from "../lib/types";
import { isUnknown, ofType, parseJsonish, referenced, ResourceView } from "../lib/view";

const SCALING_TARGET = "aws:appautoscaling/target:Target";

/** True when a task definition has a container that connects to the metadata database. */
function connectsToDatabase(taskDefinition: ResourceView): boolean {
    const containers = parseJsonish<Array<{ environment?: Array<{ name?: string }> }>>(taskDefinition.props.containerDefinitions) ?? [];
    return Array.isArray(containers) && containers.some((c) => (c.environment ?? []).some((e) => e?.name === "MF_METADATA_DB_HOST"));
}

/** The most tasks a service runs during a deployment at its largest count; undefined when a preview leaves it unknown. */
function peakTasks(service: ResourceView, targets: ResourceView[]): number | undefined {
    // The target's resourceId (`service/<cluster>/<name>`) is built from the service: by dependency, else by name.
    const name = service.props.name ?? (service as { outputs?: Record<string, unknown> }).outputs?.name;
    const target = targets.find((t) => referenced(t, "resourceId", [service]).length > 0 || (typeof name === "string" && typeof t.props.resourceId === "string" && t.props.resourceId.endsWith(`/${name}`)));
    const count = target ? target.props.maxCapacity : service.props.desiredCount;
    const percent = service.props.deploymentMaximumPercent ?? DEPLOYMENT_MAX_FACTOR * 100;
    if ([count, percent].some((v) => v === undefined || isUnknown(v))) return undefined;
    return Math.ceil((Number(count) * Number(percent)) / 100);
}

export const rdsConnections: StackRule = {
    name: "aws-rds-connections",
    pack: "aws",
    kind: "stack",
    description: "The ECS services that connect to the stack's RDS for PostgreSQL instance (MF_METADATA_DB_HOST) fit its default max_connections, LEAST(DBInstanceClassMemory/9531392, 5000) (Amazon RDS User Guide, quotas), at their largest count during a deployment.",
    uses: [],
    check(all) {
        const instances = ofType(all, T.rdsInstance);
        if (instances.length !== 1) return []; // none (a foundation's database) or several: nothing to pair
        const db = instances[0];
        const limit = typeof db.props.instanceClass === "string" ? maxConnections(db.props.instanceClass) : undefined;
        if (limit === undefined) return [];
        const taskDefinitions = ofType(all, T.ecsTaskDefinition);
        const targets = ofType(all, SCALING_TARGET);
        let peak = MIGRATION_CONNECTIONS + SUPERUSER_RESERVED;
        const parts: string[] = [];
        for (const service of ofType(all, T.ecsService)) {
            if (!referenced(service, "taskDefinition", taskDefinitions).some(connectsToDatabase)) continue;
            const tasks = peakTasks(service, targets);
            if (tasks === undefined) return [];
            peak += tasks * SERVICE_TASK_CONNECTIONS;
            parts.push(`${service.name} ${tasks} task(s)`);
        }
        if (peak <= limit) return [];
        return [{ urn: db.urn, message: `${parts.join(" and ")} can open ${peak} connections (${SERVICE_TASK_CONNECTIONS} a task, a migration and ${SUPERUSER_RESERVED} reserved), but ${db.props.instanceClass} accepts about ${limit}: fewer tasks or a larger class` }];
    },
};
