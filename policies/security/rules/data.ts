/** DynamoDB, KMS, CloudWatch, SSM, Secrets Manager, stateful-resource protection and stack output rules. */
import { LOG_RETENTION_DAYS } from "../../../stacks/config/keys/core";
import { allowsAnyone, statementsOf } from "../../lib/iam";
import { looksLikeSecretName, looksLikeSecretValue } from "../../lib/secrets";
import { Rule, StackRule } from "../../lib/rule";
import { T } from "../../lib/types";
import { isSecretValue, isUnknown, ofType, referenced, ResourceView } from "../../lib/view";

/** The alarms with actions that watch one kind of thing, by the name in a dimension or by the resource it came from. */
class Watched {
    private readonly names = new Set<unknown>();
    private readonly urns = new Set<string>();
    private any = false;

    add(dimension: unknown, dependencies: string[]): void {
        if (isUnknown(dimension)) this.any = true;
        else this.names.add(dimension);
        for (const urn of dependencies) this.urns.add(urn);
    }

    /** Whether an alarm watches the thing named `name` (or made from `urn`), or one whose dimension is not known yet. */
    matches(name: unknown, urn: string | undefined): boolean {
        return this.any || (name !== undefined && this.names.has(name)) || (urn !== undefined && this.urns.has(urn));
    }
}

const EVENTS_FAILURE_METRICS = ["FailedInvocations", "InvocationsSentToDlq", "InvocationsFailedToBeSentToDlq"];

/**
 * The alarms with actions on EventBridge rules' delivery failures (AWS/Events, by RuleName) and on queues (AWS/SQS, by
 * QueueName), indexed once per stack: a stack export of thousands of targets and alarms is then judged in linear time.
 */
function alarmWatches(all: ResourceView[]): { events: Watched; queues: Watched } {
    const events = new Watched();
    const queues = new Watched();
    for (const a of ofType(all, T.metricAlarm)) {
        const actions = Array.isArray(a.props.alarmActions) ? a.props.alarmActions.length > 0 : isUnknown(a.props.alarmActions);
        if (!actions) continue;
        const dims = a.props.dimensions ?? {};
        const deps = a.propertyDependencies?.dimensions ?? [];
        if (a.props.namespace === "AWS/Events" && EVENTS_FAILURE_METRICS.includes(a.props.metricName)) events.add(dims.RuleName, deps);
        if (a.props.namespace === "AWS/SQS") queues.add(dims.QueueName, deps);
    }
    return { events, queues };
}

/** AWS managed keys (`alias/aws/...`, by alias or alias ARN) are not customer keys. */
export const isCustomerKey = (k: unknown) => typeof k === "string" && k !== "" && !/alias\/aws\//.test(k);

/** Stateful resources whose loss loses data: buckets, databases, tables, file systems. */
export const STATEFUL_TYPES: string[] = [T.bucket, T.rdsInstance, T.rdsCluster, T.dynamoTable, T.efsFileSystem];

/** Leaves of an output value that look like credentials in plain text, with their paths. */
export function credentialOutputs(value: unknown, path = ""): string[] {
    if (isSecretValue(value)) return [];
    if (Array.isArray(value)) return value.flatMap((v, i) => credentialOutputs(v, `${path}[${i}]`));
    if (value !== null && typeof value === "object") {
        return Object.entries(value).flatMap(([k, v]) => {
            const at = path ? `${path}.${k}` : k;
            if (looksLikeSecretName(k) && typeof v === "string" && v !== "" && !isSecretValue(v) && !isUnknown(v)) return [at];
            return credentialOutputs(v, at);
        });
    }
    return looksLikeSecretValue(value) ? [path] : [];
}

export const dataRules: Rule[] = [
    { kind: "resource", name: "dynamodb-point-in-time-recovery", pack: "security", description: "DynamoDB tables have point-in-time recovery.", baseline: ["CKV_AWS_28"], uses: [], types: [T.dynamoTable],
      check: (r) => (r.props.pointInTimeRecovery?.enabled === true ? [] : ["pointInTimeRecovery is not enabled"]) },
    { kind: "resource", name: "dynamodb-customer-key", pack: "security", description: "DynamoDB tables are encrypted with a customer-managed KMS key.", baseline: ["CKV_AWS_119"], uses: [], types: [T.dynamoTable],
      check: (r) => (r.props.serverSideEncryption?.enabled === true && isCustomerKey(r.props.serverSideEncryption?.kmsKeyArn) ? [] : ["serverSideEncryption with a customer-managed kmsKeyArn is not set"]) },
    { kind: "resource", name: "kms-key-rotation", pack: "security", description: "Symmetric KMS keys rotate.", baseline: ["CKV_AWS_7"], uses: [], types: [T.kmsKey],
      check: (r) => {
          const symmetric = (r.props.customerMasterKeySpec ?? "SYMMETRIC_DEFAULT") === "SYMMETRIC_DEFAULT" && (r.props.keyUsage ?? "ENCRYPT_DECRYPT") === "ENCRYPT_DECRYPT";
          return symmetric && r.props.enableKeyRotation !== true ? ["enableKeyRotation is not true"] : [];
      } },
    { kind: "resource", name: "kms-no-wildcard-principal", pack: "security", description: "Key policies allow no `*` principal without a condition.", baseline: ["CKV_AWS_33"], uses: [], types: [T.kmsKey, T.kmsKeyPolicy],
      check: (r) => (statementsOf(r.props.policy) ?? []).filter(allowsAnyone).map((s) => `key policy statement ${s.Sid ?? ""} allows Principal "*" without a condition`) },
    { kind: "resource", name: "log-group-retention", pack: "security", description: "Log groups have a retention CloudWatch accepts (at least the environment's minimum: a year in prod).", baseline: ["CKV_AWS_66", "CKV_AWS_338"], uses: ["minLogRetentionDays"], types: [T.logGroup],
      check: (r, s) => {
          const d = r.props.retentionInDays;
          if (d === undefined || d === 0) return ["retentionInDays is not set: logs are kept forever"];
          if (!LOG_RETENTION_DAYS.includes(d)) return [`retentionInDays ${d} is not a value CloudWatch accepts (${LOG_RETENTION_DAYS.join(", ")})`];
          return d < s.minLogRetentionDays ? [`retentionInDays ${d} is below ${s.minLogRetentionDays} in ${s.environment}`] : [];
      } },
    { kind: "resource", name: "log-group-kms", pack: "security", description: "Log groups are encrypted with a KMS key.", baseline: ["CKV_AWS_158"], uses: [], types: [T.logGroup],
      check: (r) => (r.props.kmsKeyId ? [] : ["kmsKeyId is not set"]) },
    { kind: "resource", name: "alarm-actions-enabled", pack: "security", description: "CloudWatch alarms have their actions enabled and at least one alarm action (an alarm nobody hears is no control).", baseline: ["CKV_AWS_319"], uses: [], types: [T.metricAlarm, T.compositeAlarm],
      check: (r) => {
          if (r.props.actionsEnabled === false) return ["actionsEnabled is false"];
          const actions = r.props.alarmActions;
          if (isUnknown(actions)) return [];
          return Array.isArray(actions) && actions.length ? [] : ["alarmActions is empty: the alarm notifies nobody"];
      } },
    { kind: "resource", name: "sns-topic-encrypted", pack: "security", description: "SNS topics are encrypted with a customer-managed KMS key (the AWS managed aws/sns key cannot be granted to EventBridge or CloudWatch).", baseline: ["CKV_AWS_26"], uses: [], types: [T.snsTopic],
      check: (r) => {
          const key = r.props.kmsMasterKeyId;
          if (isUnknown(key)) return [];
          if (!key) return ["kmsMasterKeyId is not set: messages are stored unencrypted"];
          return isCustomerKey(key) ? [] : [`kmsMasterKeyId ${key} is an AWS managed key: use the platform key`];
      } },
    { kind: "resource", name: "sns-topic-policy-no-public-principal", pack: "security", description: "No SNS topic policy allows the `*` principal without a condition.", baseline: ["CKV_AWS_169"], uses: [], types: [T.snsTopic, T.snsTopicPolicy],
      check: (r) => (statementsOf(r.props.policy) ?? []).filter(allowsAnyone).map((s) => `topic policy statement ${s.Sid ?? ""} allows Principal "*" without a condition`) },
    { kind: "resource", name: "dynamodb-deletion-protection-prod", pack: "security", description: "DynamoDB tables have deletion protection in prod.", baseline: ["issue 12 (no scanner ID)"], uses: ["environment"], types: [T.dynamoTable],
      check: (r, s) => (s.environment === "prod" && r.props.deletionProtectionEnabled !== true ? ["deletionProtectionEnabled is not true in prod"] : []) },
    {
        kind: "stack", name: "eventbridge-target-dlq-and-alarm", pack: "security",
        description: "Every EventBridge target has a dead-letter queue, and an alarm with actions watches its rule's FailedInvocations (or the DLQ's depth): a target that cannot be invoked (a missing state machine, a refused key) otherwise fails silently.",
        baseline: ["issue 12 (no scanner ID)"], uses: [],
        check: (all) => {
            const rules = ofType(all, T.eventRule);
            const queues = ofType(all, T.sqsQueue);
            const watches = alarmWatches(all);
            return ofType(all, T.eventTarget).flatMap((t) => {
                const out: string[] = [];
                const dlq = t.props.deadLetterConfig?.arn;
                if (!dlq) out.push("no deadLetterConfig: events EventBridge cannot deliver are dropped");
                const rule = referenced(t, "rule", rules)[0];
                const ruleName = rule ? rule.props.name ?? rule.outputs?.name : t.props.rule;
                const dlqQueues = dlq ? referenced(t, "deadLetterConfig.arn", queues) : [];
                const watched = watches.events.matches(ruleName, rule?.urn) || (dlqQueues.length > 0 && dlqQueues.some((q) => watches.queues.matches(q.props.name ?? q.outputs?.name, q.urn)));
                if (!watched) out.push(`no alarm with actions on AWS/Events FailedInvocations of rule ${ruleName ?? "?"} (nor on its dead-letter queue)`);
                return out.map((message) => ({ urn: t.urn, message: `event target ${t.name}: ${message}` }));
            });
        },
    } satisfies StackRule,
    { kind: "resource", name: "ssm-parameter-secure", pack: "security", description: "Secret parameters are SecureString with a customer-managed key; no String parameter holds a credential.", baseline: ["CKV2_AWS_34", "CKV_AWS_337"], uses: [], types: [T.ssmParameter],
      check: (r) => {
          const type = r.props.type;
          const name = String(r.props.name ?? r.name);
          if (type === "SecureString") return isCustomerKey(r.props.keyId) ? [] : ["SecureString without a customer-managed keyId"];
          const value = r.props.value ?? r.props.insecureValue;
          if (looksLikeSecretName(name.split("/").pop() ?? name) || looksLikeSecretValue(value) || isSecretValue(value)) return [`${type} parameter ${name} holds a credential: use SecureString with the platform key`];
          return [];
      } },
    { kind: "resource", name: "secrets-manager-customer-key", pack: "security", description: "Secrets Manager secrets use a customer-managed KMS key.", baseline: ["CKV_AWS_149"], uses: [], types: [T.secret],
      check: (r) => (isCustomerKey(r.props.kmsKeyId) ? [] : ["kmsKeyId is not a customer-managed key"]) },
    {
        kind: "stack", name: "stateful-resources-protected-prod", pack: "security",
        description: "In prod, buckets, databases, DynamoDB tables and file systems are `protect`ed or `retainOnDelete`.",
        uses: ["environment"],
        check: (all, s) =>
            s.environment !== "prod"
                ? []
                : ofType(all, ...STATEFUL_TYPES)
                      .filter((r) => !r.protect && r.retainOnDelete !== true)
                      .map((r) => ({ urn: r.urn, message: `${r.type.split(":").pop()} ${r.name} is neither protected nor retained on delete in prod` })),
    } satisfies StackRule,
    {
        kind: "stack", name: "no-plaintext-secret-outputs", pack: "security",
        description: "Stack outputs that look like credentials are secret.",
        uses: [],
        check: (all) => ofType(all, T.stack).flatMap((st) => credentialOutputs(st.props).map((p) => ({ urn: st.urn, message: `stack output ${p} looks like a credential in plain text: export it with pulumi.secret` }))),
    } satisfies StackRule,
];
