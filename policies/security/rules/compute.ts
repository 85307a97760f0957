/** ECS, Batch, launch template, EFS mount and Step Functions rules. */
import { looksLikeSecretName, looksLikeSecretValue } from "../../lib/secrets";
import { Rule } from "../../lib/rule";
import { T } from "../../lib/types";
import { isSecretValue, isUnknown, parseJsonish, ResourceView } from "../../lib/view";

/** Containers of a task definition, a Batch job definition (container or ECS properties). */
export function containersOf(r: ResourceView): any[] {
    if (r.type === T.ecsTaskDefinition) return (parseJsonish<any[]>(r.props.containerDefinitions) ?? []) as any[];
    if (r.type === T.jobDefinition) {
        const c = parseJsonish<any>(r.props.containerProperties);
        const ecs = parseJsonish<any>(r.props.ecsProperties);
        return [...(c ? [c] : []), ...((ecs?.taskProperties ?? []) as any[]).flatMap((t) => t?.containers ?? [])];
    }
    return [];
}

/** EFS volume configurations of a task or job definition. */
function efsVolumes(r: ResourceView): any[] {
    const vols: any[] =
        r.type === T.ecsTaskDefinition
            ? (r.props.volumes ?? [])
            : [...(parseJsonish<any>(r.props.containerProperties)?.volumes ?? []), ...((parseJsonish<any>(r.props.ecsProperties)?.taskProperties ?? []) as any[]).flatMap((t) => t?.volumes ?? [])];
    return vols.map((v) => v?.efsVolumeConfiguration).filter(Boolean);
}

/** Plain-text credentials in an environment: names that carry secrets, or values shaped like keys. */
export function plaintextSecrets(env: Array<{ name?: string; value?: unknown }> | Record<string, unknown>): string[] {
    const pairs = Array.isArray(env) ? env.map((e) => [e?.name ?? "", e?.value] as const) : Object.entries(env ?? {});
    return pairs.filter(([name, value]) => (looksLikeSecretName(String(name)) && value !== "" && value !== undefined) || (!isSecretValue(value) && looksLikeSecretValue(value))).map(([name]) => String(name));
}

const WORKLOADS = [T.ecsTaskDefinition, T.jobDefinition];

export const computeRules: Rule[] = [
    { kind: "resource", name: "ecs-no-public-ip", pack: "security", description: "ECS services give their tasks no public IP.", baseline: ["CKV_AWS_333"], uses: [], types: [T.ecsService],
      check: (r) => (r.props.networkConfiguration?.assignPublicIp === true ? ["networkConfiguration.assignPublicIp is true"] : []) },
    { kind: "resource", name: "ecs-distinct-execution-role", pack: "security", description: "A task's execution role differs from its task role.", baseline: ["CKV_AWS_249"], uses: [], types: [T.ecsTaskDefinition],
      check: (r) => (r.props.executionRoleArn && !isUnknown(r.props.executionRoleArn) && r.props.executionRoleArn === r.props.taskRoleArn ? ["executionRoleArn and taskRoleArn are the same role"] : []) },
    { kind: "resource", name: "container-not-privileged", pack: "security", description: "No privileged containers in ECS task or Batch job definitions.", baseline: ["CKV_AWS_334", "CKV_AWS_210"], uses: [], types: WORKLOADS,
      check: (r) => containersOf(r).filter((c) => c?.privileged === true).map((c) => `container ${c?.name ?? ""} is privileged`) },
    { kind: "resource", name: "ecs-read-only-root", pack: "security", description: "ECS containers use a read-only root file system where possible (advisory).", baseline: ["CKV_AWS_336"], enforcementLevel: "advisory", uses: [], types: [T.ecsTaskDefinition],
      check: (r) => containersOf(r).filter((c) => c?.readonlyRootFilesystem !== true).map((c) => `container ${c?.name ?? ""} has a writable root file system`) },
    { kind: "resource", name: "ecs-container-insights", pack: "security", description: "ECS clusters have Container Insights on.", baseline: ["CKV_AWS_65"], uses: [], types: [T.ecsCluster],
      check: (r) => (((r.props.settings ?? []) as any[]).some((s) => s?.name === "containerInsights" && ["enabled", "enhanced"].includes(s?.value)) ? [] : ["containerInsights is not enabled"]) },
    { kind: "resource", name: "no-plaintext-secrets-in-env", pack: "security", description: "No credentials in plain environment variables of ECS tasks, Batch jobs or Lambda functions (use `secrets`).", baseline: ["tfsec ecs-no-plaintext-secrets"], uses: [], types: [...WORKLOADS, T.lambda],
      check: (r) => {
          if (r.type === T.lambda) return plaintextSecrets(r.props.environment?.variables ?? {}).map((n) => `environment variable ${n} holds a credential in plain text`);
          return containersOf(r).flatMap((c) => plaintextSecrets(c?.environment ?? []).map((n) => `container ${c?.name ?? ""}: environment variable ${n} holds a credential in plain text: use secrets (Secrets Manager / SSM SecureString)`));
      } },
    { kind: "resource", name: "efs-transit-encryption", pack: "security", description: "EFS volumes of tasks and jobs mount with transit encryption.", baseline: ["CKV_AWS_97"], uses: [], types: WORKLOADS,
      check: (r) => efsVolumes(r).filter((v) => v.transitEncryption !== "ENABLED").map((v) => `EFS volume ${v.fileSystemId ?? ""} mounts without transit encryption`) },
    { kind: "resource", name: "imdsv2-required", pack: "security", description: "Launch templates and instances require IMDSv2.", baseline: ["CKV_AWS_79"], uses: [], types: [T.launchTemplate, T.ec2Instance],
      check: (r) => (r.props.metadataOptions?.httpTokens === "required" || r.props.metadataOptions?.httpEndpoint === "disabled" ? [] : ["metadataOptions.httpTokens is not required (IMDSv1 allowed)"]) },
    { kind: "resource", name: "launch-template-encrypted-volumes", pack: "security", description: "Launch template block devices are encrypted.", baseline: ["launchtemplate-disallow-unencrypted-block-device"], uses: [], types: [T.launchTemplate],
      check: (r) => ((r.props.blockDeviceMappings ?? []) as any[]).filter((b) => b?.ebs && String(b.ebs.encrypted) !== "true").map((b) => `block device ${b.deviceName ?? ""} is not encrypted`) },
    { kind: "resource", name: "sfn-execution-logging", pack: "security", description: "State machines log executions.", baseline: ["CKV_AWS_285"], uses: [], types: [T.stateMachine],
      check: (r) => {
          const l = r.props.loggingConfiguration;
          return l && l.level && l.level !== "OFF" && l.logDestination ? [] : ["loggingConfiguration has no level or destination"];
      } },
];
