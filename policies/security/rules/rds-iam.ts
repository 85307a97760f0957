/** RDS and IAM rules. */
import { batchRegisterProblems, exfiltrationProblems, iamProblems, principalsOf, statementsOf } from "../../lib/iam";
import { Rule, StackRule } from "../../lib/rule";
import { isCustomerKey } from "./data";
import { T } from "../../lib/types";
import { isUnknown, ofType, referenced, ResourceView } from "../../lib/view";

const rds = [T.rdsInstance];
const isProd = (env: string) => env === "prod";

/** Documents of an IAM resource: inline policies of a role, or the `policy` of a policy resource. */
function identityDocs(r: ResourceView): Array<{ where: string; doc: unknown }> {
    if (r.type === T.role) return ((r.props.inlinePolicies ?? []) as any[]).map((p, i) => ({ where: `inline policy ${p?.name ?? i}`, doc: p?.policy }));
    return [{ where: "policy", doc: r.props.policy }];
}
const IAM_DOC_TYPES = [T.role, T.rolePolicy, T.policy, T.userPolicy, T.groupPolicy];
const ATTACHMENT_TYPES = [T.role, T.rolePolicyAttachment, T.userPolicyAttachment, T.groupPolicyAttachment, T.policyAttachment];

/** The managed policy ARNs a role (managedPolicyArns) or an attachment (policyArn) attaches; unknown values left out. */
function attachedPolicies(r: ResourceView): string[] {
    const arns: unknown[] = r.type === T.role ? (r.props.managedPolicyArns ?? []) : [r.props.policyArn];
    return arns.filter((a): a is string => typeof a === "string" && !isUnknown(a));
}

/**
 * AWS managed policies (`arn:aws:iam::aws:policy/...`) that grant whole services or every service's data: the
 * job-function policies PowerUserAccess and ReadOnlyAccess (s3:Get* and more on "*"), every `*FullAccess`,
 * the read-only policies of data services (S3, DynamoDB, SSM, Secrets Manager...), and SecretsManagerReadWrite.
 */
export function isBroadManagedPolicy(arn: string): boolean {
    const m = /^arn:aws[a-z-]*:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(arn);
    if (!m) return false;
    const name = m[1];
    return /^(PowerUserAccess|ReadOnlyAccess|ViewOnlyAccess|SecretsManagerReadWrite|DataScientist)$/.test(name)
        || /FullAccess(V\d+)?$/.test(name)
        || /^Amazon(S3|DynamoDB|SSM|RDS|Redshift|Athena|Kinesis)ReadOnlyAccess$/.test(name);
}


export const rdsIamRules: Rule[] = [
    { kind: "resource", name: "rds-storage-encrypted", pack: "security", description: "Database storage is encrypted with a customer-managed KMS key (not the AWS managed aws/rds key, whose policy the platform cannot scope).", baseline: ["CKV_AWS_16"], uses: [], types: rds,
      check: (r) => {
          if (r.props.storageEncrypted !== true) return ["storageEncrypted is not true"];
          const key = r.props.kmsKeyId;
          if (isUnknown(key)) return [];
          if (!key) return ["storage is encrypted with the AWS managed key (kmsKeyId unset): set kmsKeyId to the platform key"];
          return isCustomerKey(key) ? [] : [`kmsKeyId ${key} is the AWS managed key: use the platform's customer-managed key`];
      } },
    { kind: "resource", name: "rds-managed-master-password", pack: "security",
      description: "RDS generates and rotates the master password in Secrets Manager (manageMasterUserPassword) under a customer-managed key; no password passes through the program or its state.",
      baseline: ["issue 12; cf. CKV_AWS_149"], uses: [], types: rds,
      check: (r) => {
          const out: string[] = [];
          if (r.props.password !== undefined && r.props.password !== null) out.push("password is set: the master password passes through the program and its state; use manageMasterUserPassword");
          if (r.props.manageMasterUserPassword !== true) {
              if (!out.length && !r.props.replicateSourceDb && !r.props.snapshotIdentifier) out.push("manageMasterUserPassword is not true");
              return out;
          }
          const key = r.props.masterUserSecretKmsKeyId;
          if (isUnknown(key)) return out;
          if (!key) out.push("masterUserSecretKmsKeyId is not set: the managed secret uses the AWS managed aws/secretsmanager key");
          else if (!isCustomerKey(key)) out.push(`masterUserSecretKmsKeyId ${key} is an AWS managed key: use the platform's customer-managed key`);
          return out;
      } },
    { kind: "resource", name: "rds-final-snapshot-prod", pack: "security",
      description: "In prod, deleting a database leaves a final snapshot (skipFinalSnapshot false, with a finalSnapshotIdentifier).", baseline: ["issue 12 (no scanner ID)"], uses: ["environment"], types: rds,
      check: (r, s) => {
          if (!isProd(s.environment)) return [];
          if (r.props.skipFinalSnapshot === true) return ["skipFinalSnapshot is true in prod: deleting the database loses every run's metadata"];
          return r.props.finalSnapshotIdentifier ? [] : ["finalSnapshotIdentifier is not set: RDS refuses a deletion that keeps a final snapshot without a name"];
      } },
    { kind: "resource", name: "rds-not-publicly-accessible", pack: "security", description: "Databases are not publicly accessible.", baseline: ["CKV_AWS_17"], uses: [], types: rds,
      check: (r) => (r.props.publiclyAccessible === true ? ["publiclyAccessible is true"] : []) },
    { kind: "resource", name: "rds-backup-retention", pack: "security", description: "Automated backups are kept (at least 1 day; 7 in prod).", baseline: ["CKV_AWS_133"], uses: ["environment"], types: rds,
      check: (r, s) => {
          const days = Number(r.props.backupRetentionPeriod ?? 0);
          const min = isProd(s.environment) ? 7 : 1;
          return days >= min ? [] : [`backupRetentionPeriod ${r.props.backupRetentionPeriod ?? "unset"} is below ${min} day(s) in ${s.environment}`];
      } },
    { kind: "resource", name: "rds-multi-az-prod", pack: "security", description: "Databases are Multi-AZ in prod.", baseline: ["CKV_AWS_157"], uses: ["environment"], types: rds,
      check: (r, s) => (isProd(s.environment) && r.props.multiAz !== true ? ["multiAz is not true in prod"] : []) },
    { kind: "resource", name: "rds-deletion-protection-prod", pack: "security", description: "Databases have deletion protection in prod.", baseline: ["CKV_AWS_293"], uses: ["environment"], types: rds,
      check: (r, s) => (isProd(s.environment) && r.props.deletionProtection !== true ? ["deletionProtection is not true in prod"] : []) },
    { kind: "resource", name: "rds-auto-minor-version-upgrade", pack: "security", description: "Minor engine upgrades are applied automatically.", baseline: ["CKV_AWS_226"], uses: [], types: rds,
      check: (r) => (r.props.autoMinorVersionUpgrade === false ? ["autoMinorVersionUpgrade is false"] : []) },
    { kind: "resource", name: "rds-log-exports", pack: "security", description: "Database logs are exported to CloudWatch Logs.", baseline: ["CKV_AWS_129"], uses: [], types: rds,
      check: (r) => ((r.props.enabledCloudwatchLogsExports ?? []).length ? [] : ["enabledCloudwatchLogsExports is empty: export at least the postgresql log"]) },
    { kind: "resource", name: "rds-copy-tags-to-snapshot", pack: "security", description: "Tags are copied to snapshots.", baseline: ["CKV2_AWS_60"], uses: [], types: rds,
      check: (r) => (r.props.copyTagsToSnapshot === true ? [] : ["copyTagsToSnapshot is not true"]) },
    {
        kind: "stack", name: "rds-force-ssl", pack: "security",
        description: "Connections must use TLS: the instance uses a parameter group of the stack (not a default.* group, whose values the platform does not control) with rds.force_ssl = 1.",
        baseline: ["CKV2_AWS_69"], uses: [],
        check: (all) => ofType(all, T.rdsInstance).flatMap((db) => {
            const name = db.props.parameterGroupName;
            const groups = referenced(db, "parameterGroupName", ofType(all, T.rdsParameterGroup));
            const report = (message: string) => [{ urn: db.urn, message: `database ${db.name}: ${message}` }];
            if (groups.length) {
                const off = groups.filter((g) => !isUnknown(g.props.parameters) && !((g.props.parameters ?? []) as any[]).some((p) => p?.name === "rds.force_ssl" && (isUnknown(p?.value) || String(p?.value) === "1")));
                return off.length ? report(`parameter group ${off.map((g) => g.name).join(", ")} does not set rds.force_ssl = 1`) : [];
            }
            if (isUnknown(name)) return [];
            if (!name) return report(`no parameter group: the default group of ${db.props.engine ?? "the engine"} ${db.props.engineVersion ?? ""} is used; create one with rds.force_ssl = 1`);
            if (String(name).startsWith("default.")) return report(`${name} is a default parameter group: use one of the stack with rds.force_ssl = 1`);
            return report(`parameter group ${name} is not part of the stack, so rds.force_ssl cannot be checked: create it here with rds.force_ssl = 1`);
        }),
    } satisfies StackRule,
    { kind: "resource", name: "iam-no-wildcard-action", pack: "security", description: "IAM policies name their actions: no `*`, `service:*` or NotAction allows.", baseline: ["CKV_AWS_62", "CKV_AWS_63"], uses: [], types: IAM_DOC_TYPES,
      check: (r) => identityDocs(r).flatMap(({ where, doc }) => iamProblems(doc, where).wildcardAction) },
    { kind: "resource", name: "iam-no-wildcard-resource-writes", pack: "security", description: "IAM write actions name their resources; `*` only for actions without resource-level permissions.", baseline: ["CKV_AWS_355", "CKV_AWS_290"], uses: [], types: IAM_DOC_TYPES,
      check: (r) => identityDocs(r).flatMap(({ where, doc }) => iamProblems(doc, where).wildcardResource) },
    { kind: "resource", name: "iam-no-privilege-escalation", pack: "security", description: "IAM policies allow no privilege escalation or credential exposure (iam:PassRole only on named roles).", baseline: ["CKV_AWS_286", "CKV_AWS_287"], uses: [], types: IAM_DOC_TYPES,
      check: (r) => identityDocs(r).flatMap(({ where, doc }) => iamProblems(doc, where).escalation) },
    { kind: "resource", name: "iam-no-exfiltration-on-star", pack: "security",
      description: "No identity policy allows reading data or secrets (s3:GetObject, secretsmanager:GetSecretValue, ssm:GetParameter*, dynamodb:Scan/Query/GetItem, kms:Decrypt, ...) on \"*\", directly or through a wildcard.",
      baseline: ["CKV_AWS_288"], uses: [], types: IAM_DOC_TYPES,
      check: (r) => identityDocs(r).flatMap(({ where, doc }) => exfiltrationProblems(doc, where)) },
    { kind: "resource", name: "iam-batch-register-unprivileged", pack: "security",
      description: "Every allow of batch:RegisterJobDefinition requires batch:Privileged false (Bool or BoolIfExists), so whoever registers job definitions cannot give a job root on the host.",
      baseline: ["CKV_AWS_210 (at registration)"], uses: [], types: IAM_DOC_TYPES,
      check: (r) => identityDocs(r).flatMap(({ where, doc }) => batchRegisterProblems(doc, where)) },
    { kind: "resource", name: "iam-trust-specific-principals", pack: "security", description: "Role trust policies name specific principals: no `*`, no whole account without a condition.", baseline: ["CKV_AWS_60", "CKV_AWS_61"], uses: [], types: [T.role],
      check: (r) => {
          const statements = statementsOf(r.props.assumeRolePolicy);
          if (!statements) return r.props.assumeRolePolicy === undefined || isUnknown(r.props.assumeRolePolicy) ? [] : ["assumeRolePolicy cannot be read"];
          return statements.filter((s) => s.Effect === "Allow").flatMap((s) => {
              const ps = principalsOf(s);
              if (ps.includes("*")) return [`trust statement ${s.Sid ?? ""} allows any principal`];
              if (ps.some((p) => /^arn:aws[a-z-]*:iam::\d{12}:root$/.test(p) || /^\d{12}$/.test(p)) && !s.Condition) return [`trust statement ${s.Sid ?? ""} trusts a whole account without a condition: name roles or add one`];
              return [];
          });
      } },
    { kind: "resource", name: "iam-no-admin-access", pack: "security", description: "No role, user or group gets AdministratorAccess or IAMFullAccess.", baseline: ["CKV_AWS_274"], uses: [],
      types: ATTACHMENT_TYPES,
      check: (r) => attachedPolicies(r).filter((a) => /:policy\/(AdministratorAccess|IAMFullAccess)$/.test(a)).map((a) => `attaches ${a}`) },
    { kind: "resource", name: "iam-no-broad-managed-policies", pack: "security",
      description: "No role, user or group gets a broad AWS managed policy: PowerUserAccess, ReadOnlyAccess, *FullAccess, *ReadOnlyAccess of a data service, SecretsManagerReadWrite, or the like; grant named actions on named resources instead.",
      baseline: ["issue 12; cf. CKV_AWS_274"], uses: [], types: ATTACHMENT_TYPES,
      check: (r) => attachedPolicies(r).filter(isBroadManagedPolicy).map((a) => `attaches the broad AWS managed policy ${a}: grant named actions on the platform's resources`) },
];
