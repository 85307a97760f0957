/** DynamoDB, KMS, CloudWatch, SSM, Secrets Manager, stateful-resource protection and stack output rules. */
import { LOG_RETENTION_DAYS } from "../../../stacks/config/keys/core";
import { allowsAnyone, statementsOf } from "../../lib/iam";
import { looksLikeSecretName, looksLikeSecretValue } from "../../lib/secrets";
import { Rule, StackRule } from "../../lib/rule";
import { T } from "../../lib/types";
import { isSecretValue, isUnknown, ofType } from "../../lib/view";

/** AWS-managed keys are not customer keys. */
const isCustomerKey = (k: unknown) => typeof k === "string" && k !== "" && !/alias\/aws\//.test(k);

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
    { kind: "resource", name: "alarm-actions-enabled", pack: "security", description: "CloudWatch alarms have their actions enabled.", baseline: ["CKV_AWS_319"], uses: [], types: [T.metricAlarm, T.compositeAlarm],
      check: (r) => (r.props.actionsEnabled === false ? ["actionsEnabled is false"] : []) },
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
