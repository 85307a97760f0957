/**
 * A picture of one stack as a Mermaid flowchart, from the resources of its offline plan: each of the platform's
 * components (`metaflow:*` types) with its main resources, an arrow from a component to each component whose
 * resources its own resources depend on, and the neighbouring stacks it reads through StackReferences.
 * `npm run plan -- --stack <s> --graph <file>` writes it; the README shows the dev stack's, kept current by a test.
 */
import type { RecordedResource } from "../offline/mocks";

/** Resource types worth naming in a component's box, with their label. */
const MAIN_RESOURCES: Record<string, string> = {
    "aws:ec2/vpc:Vpc": "VPC",
    "aws:ec2/natGateway:NatGateway": "NAT gateway",
    "aws:ec2/instance:Instance": "EC2 instance",
    "aws:s3/bucket:Bucket": "S3 bucket",
    "aws:kms/key:Key": "KMS key",
    "aws:ecs/service:Service": "ECS service",
    "aws:lb/loadBalancer:LoadBalancer": "load balancer",
    "aws:rds/instance:Instance": "RDS instance",
    "aws:secretsmanager/secret:Secret": "secret",
    "aws:apigateway/restApi:RestApi": "API Gateway",
    "aws:batch/computeEnvironment:ComputeEnvironment": "compute environment",
    "aws:batch/jobQueue:JobQueue": "job queue",
    "aws:ecr/repository:Repository": "ECR repository",
    "aws:dynamodb/table:Table": "DynamoDB table",
    "aws:iam/role:Role": "IAM role",
    "aws:iam/policy:Policy": "IAM policy",
    "aws:ssm/parameter:Parameter": "parameter",
    "aws:sns/topic:Topic": "SNS topic",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "alarm",
    "aws:cloudwatch/eventRule:EventRule": "EventBridge rule",
    "aws:cloudwatch/logGroup:LogGroup": "log group",
    "aws:cloudwatch/dashboard:Dashboard": "dashboard",
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": "metric filter",
    "aws:cloudwatch/contributorInsightRule:ContributorInsightRule": "Contributor Insights rule",
    "aws:cloudwatch/queryDefinition:QueryDefinition": "saved query",
    "aws:cloudwatch/logTransformer:LogTransformer": "log transformer",
    "aws:budgets/budget:Budget": "budget",
    "aws:costexplorer/anomalyMonitor:AnomalyMonitor": "anomaly monitor",
    "aws:scheduler/schedule:Schedule": "schedule",
    "aws:sagemaker/domain:Domain": "Studio domain",
    "aws:sagemaker/userProfile:UserProfile": "user profile",
    "aws:sagemaker/studioLifecycleConfig:StudioLifecycleConfig": "lifecycle configuration",
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup": "model package group",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "VPC endpoint",
};

const isComponent = (r: RecordedResource) => r.type.startsWith("metaflow:");

/** Mermaid label text: no quotes, no markup from names. */
function text(s: string): string {
    return s.replace(/["<>]/g, "");
}

/**
 * The stack as Mermaid. `references` names the neighbouring stacks by role (`A01 foundation` -> `acme/a01/dev`);
 * roles without a stack are left out.
 */
export function stackGraph(stack: string, resources: RecordedResource[], references: Record<string, string | undefined>): string {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const components = resources.filter(isComponent).sort((a, b) => a.name.localeCompare(b.name));
    const id = new Map(components.map((c, i) => [c.urn, `c${i}`]));
    /** The component a resource belongs to: its nearest `metaflow:*` ancestor (itself, for a component). */
    const owner = (urn: string | undefined): string | undefined => {
        for (let r = urn ? byUrn.get(urn) : undefined; r; r = r.parent ? byUrn.get(r.parent) : undefined) if (isComponent(r)) return r.urn;
        return undefined;
    };

    const counts = new Map<string, Map<string, number>>();
    const edges = new Map<string, Set<string>>();
    for (const r of resources) {
        const mine = owner(r.urn);
        if (!mine) continue;
        const label = MAIN_RESOURCES[r.type];
        if (label && !isComponent(r)) {
            const c = counts.get(mine) ?? new Map<string, number>();
            c.set(label, (c.get(label) ?? 0) + 1);
            counts.set(mine, c);
        }
        for (const d of r.dependencies) {
            const theirs = owner(d);
            if (theirs && theirs !== mine) edges.set(theirs, (edges.get(theirs) ?? new Set<string>()).add(mine));
        }
    }

    // A component most others depend on (the platform key) would draw an arrow from nearly every box: it says so in
    // its box instead.
    const shared = new Set([...edges].filter(([, users]) => users.size * 2 >= components.length - 1).map(([urn]) => urn));

    const lines = ["flowchart LR", `  subgraph stack["stack ${text(stack)}"]`];
    for (const c of components) {
        const kind = c.type.split(":").pop()!;
        const main = [...(counts.get(c.urn) ?? new Map<string, number>())].sort(([a], [b]) => a.localeCompare(b)).map(([label, n]) => (n > 1 ? `${n}x ${label}` : label));
        if (shared.has(c.urn)) main.push(`used by ${edges.get(c.urn)!.size} components`);
        lines.push(`    ${id.get(c.urn)}["<b>${text(kind)}</b><br/>${text(c.name)}${main.length ? `<br/><small>${text(main.join(", "))}</small>` : ""}"]`);
    }
    lines.push("  end");
    const n = (urn: string) => Number(id.get(urn)!.slice(1));
    const arrows = [...edges].filter(([urn]) => !shared.has(urn)).flatMap(([theirs, users]) => [...users].map((mine): [string, string] => [mine, theirs]));
    arrows.sort(([a1, b1], [a2, b2]) => n(a1) - n(a2) || n(b1) - n(b2));
    lines.push(...arrows.map(([mine, theirs]) => `  ${id.get(mine)} --> ${id.get(theirs)}`));
    Object.entries(references)
        .filter((e): e is [string, string] => typeof e[1] === "string" && e[1] !== "")
        .forEach(([role, name], i) => {
            lines.push(`  r${i}[("${text(role)}<br/>${text(name)}")]`, `  r${i} -. StackReference outputs .-> stack`);
        });
    return `${lines.join("\n")}\n`;
}
