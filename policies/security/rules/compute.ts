/** ECS, Batch, launch template, EFS mount and Step Functions rules. */
import { looksLikeSecretName, looksLikeSecretValue } from "../../lib/secrets";
import { Rule, StackRule } from "../../lib/rule";
import { T } from "../../lib/types";
import { isSecretValue, isUnknown, ofType, parseJsonish, ResourceView } from "../../lib/view";

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

/** A container `user` (`name`, `uid`, `name:group`, `uid:gid`) that is root, or none (the image's USER, root by default). */
export function runsAsRoot(user: unknown): boolean {
    if (user === undefined || user === null || user === "") return true;
    const who = String(user).split(":")[0].trim();
    return who === "root" || who === "0";
}

/**
 * Images that need root, and why. The metadata service image (netflixoss/metaflow_metadata_service,
 * public.ecr.aws/outerbounds/metaflow_metadata_service) installs its code under /root (its Dockerfile: `ADD services/...
 * /root/services/`, `WORKDIR /root`) and declares no USER; /root is mode 0700 on its Debian base, so any other user
 * cannot read the service's code, run_goose.py or its migration files.
 */
export const ROOT_IMAGES: Array<{ pattern: RegExp; why: string }> = [
    { pattern: /(^|\/)metaflow_metadata_service(:|@|$)/, why: "the metaflow-service image keeps its code in /root (mode 0700) and declares no USER" },
    // The UI's static image (Netflix/metaflow-ui's Dockerfile: `FROM nginx`, no USER) renders its configuration at start
    // from /etc/nginx/templates into /etc/nginx/conf.d (the nginx image's entrypoint, with $PORT and $METAFLOW_SERVICE)
    // and writes /var/run/nginx.pid: both root-owned in the nginx image. Not run here under another uid.
    { pattern: /(^|\/)metaflow_ui(:|@|$)/, why: "the metaflow_ui image (FROM nginx, no USER) writes its rendered configuration and pid file to root-owned paths at start" },
];

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
    { kind: "resource", name: "launch-template-imds-hop-limit", pack: "security",
      description: "Launch templates and instances set the IMDS PUT response hop limit to 1, so containers on the instance (one hop further) cannot fetch an IMDSv2 token and with it the instance role's credentials.",
      baseline: ["issue 12 (no scanner ID)"], uses: [], types: [T.launchTemplate, T.ec2Instance],
      check: (r) => {
          const m = r.props.metadataOptions;
          if (m?.httpEndpoint === "disabled") return [];
          const hops = m?.httpPutResponseHopLimit;
          if (isUnknown(hops)) return [];
          if (hops === undefined) return ["metadataOptions.httpPutResponseHopLimit is not set: the AMI's default applies (2 on the ECS-optimized AL2023 AMIs): set 1"];
          return Number(hops) === 1 ? [] : [`metadataOptions.httpPutResponseHopLimit is ${hops}: containers reach the instance role's credentials; set 1`];
      } },
    { kind: "resource", name: "launch-template-no-public-ip", pack: "security",
      description:
          "Launch templates and instances associate no public IP address, except a NAT instance: source/destination check off (it forwards, so it needs an address of its own) and no instance profile (it holds no AWS credentials to lose).",
      baseline: ["CKV_AWS_88"], uses: [], types: [T.launchTemplate, T.ec2Instance],
      check: (r) => {
          if (r.type === T.ec2Instance) {
              if (String(r.props.associatePublicIpAddress) !== "true") return [];
              if (String(r.props.sourceDestCheck) === "false" && !r.props.iamInstanceProfile) return [];
              return [`associatePublicIpAddress is true${String(r.props.sourceDestCheck) === "false" ? " on a NAT instance with an instance profile" : ""}`];
          }
          return ((r.props.networkInterfaces ?? []) as any[]).map((n, i) => [n, i] as const).filter(([n]) => String(n?.associatePublicIpAddress) === "true").map(([, i]) => `networkInterfaces[${i}].associatePublicIpAddress is true`);
      } },
    { kind: "resource", name: "ecs-exec-disabled", pack: "security", description: "ECS services do not enable ECS Exec (a shell into running tasks, outside the task's own audit trail).", baseline: ["issue 12 (no scanner ID)"], uses: [], types: [T.ecsService],
      check: (r) => (String(r.props.enableExecuteCommand) === "true" ? ["enableExecuteCommand is true"] : []) },
    { kind: "resource", name: "container-non-root", pack: "security",
      description: "Containers of ECS task and Batch job definitions run as a non-root user (`user` set, not root/0), except images recorded as needing root (ROOT_IMAGES).",
      baseline: ["Security Hub ECS.1 (user)"], uses: [], types: WORKLOADS,
      check: (r) => containersOf(r).flatMap((c) => {
          const image = String(c?.image ?? "");
          if (isUnknown(c?.user) || isUnknown(c?.image) || ROOT_IMAGES.some((x) => x.pattern.test(image))) return [];
          return runsAsRoot(c?.user) ? [`container ${c?.name ?? ""} runs as ${c?.user === undefined ? "the image's user (root unless the image says otherwise)" : `user ${c.user}`}: set a non-root user`] : [];
      }) },
    { kind: "stack", name: "container-image-digest", pack: "security",
      description: "Containers whose image comes from an ECR repository of the stack name it by digest (`@sha256:`), so a pushed tag cannot change what runs.",
      baseline: ["issue 12; cf. CKV_AWS_51"], uses: [],
      check: (all) => {
          const repos = ofType(all, T.ecrRepository).map((r) => String(r.props.name ?? r.outputs?.name ?? "")).filter((n) => n && !isUnknown(n));
          if (!repos.length) return [];
          const fromRepo = (image: string) => {
              const m = /^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/([^:@]+)/.exec(image);
              return m !== null && repos.includes(m[1]);
          };
          return ofType(all, ...WORKLOADS).flatMap((w) => containersOf(w)
              .filter((c) => typeof c?.image === "string" && !isUnknown(c.image) && fromRepo(c.image) && !/@sha256:[0-9a-f]{64}$/.test(c.image))
              .map((c) => ({ urn: w.urn, message: `${w.name}: container ${c?.name ?? ""} runs ${c.image}, an image of the stack's repository by tag: pin it by digest (@sha256:...)` })));
      } } satisfies StackRule,
    { kind: "resource", name: "sfn-execution-logging", pack: "security", description: "State machines log executions.", baseline: ["CKV_AWS_285"], uses: [], types: [T.stateMachine],
      check: (r) => {
          const l = r.props.loggingConfiguration;
          return l && l.level && l.level !== "OFF" && l.logDestination ? [] : ["loggingConfiguration has no level or destination"];
      } },
];
