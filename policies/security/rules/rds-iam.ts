/** RDS and IAM rules. */
import { iamProblems, principalsOf, statementsOf } from "../../lib/iam";
import { Rule, StackRule } from "../../lib/rule";
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

/** PostgreSQL 15 and later on RDS default `rds.force_ssl` to 1. */
function forcesTlsByDefault(r: ResourceView): boolean {
    const major = Number(String(r.props.engineVersion ?? "").split(".")[0]);
    return String(r.props.engine ?? "") === "postgres" && major >= 15;
}

export const rdsIamRules: Rule[] = [
    { kind: "resource", name: "rds-storage-encrypted", pack: "security", description: "Database storage is encrypted with a KMS key.", baseline: ["CKV_AWS_16"], uses: [], types: rds,
      check: (r) => (r.props.storageEncrypted === true ? (r.props.kmsKeyId ? [] : ["storage is encrypted with the AWS-managed key: set kmsKeyId to the platform key"]) : ["storageEncrypted is not true"]) },
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
        description: "Connections must use TLS: rds.force_ssl = 1 in the instance's parameter group, or PostgreSQL 15+ with its default group.",
        baseline: ["CKV2_AWS_69"], uses: [],
        check: (all) => ofType(all, T.rdsInstance).flatMap((db) => {
            const groups = referenced(db, "parameterGroupName", ofType(all, T.rdsParameterGroup));
            if (groups.length) {
                const on = groups.every((g) => ((g.props.parameters ?? []) as any[]).some((p) => p?.name === "rds.force_ssl" && String(p?.value) === "1"));
                return on ? [] : [{ urn: db.urn, message: `database ${db.name}: its parameter group does not set rds.force_ssl = 1` }];
            }
            if (db.props.parameterGroupName || forcesTlsByDefault(db)) return [];
            return [{ urn: db.urn, message: `database ${db.name}: engine ${db.props.engine} ${db.props.engineVersion ?? ""} does not force TLS by default: use a parameter group with rds.force_ssl = 1 (or PostgreSQL 15+)` }];
        }),
    } satisfies StackRule,
    { kind: "resource", name: "iam-no-wildcard-action", pack: "security", description: "IAM policies name their actions: no `*`, `service:*` or NotAction allows.", baseline: ["CKV_AWS_62", "CKV_AWS_63"], uses: [], types: IAM_DOC_TYPES,
      check: (r) => identityDocs(r).flatMap(({ where, doc }) => iamProblems(doc, where).wildcardAction) },
    { kind: "resource", name: "iam-no-wildcard-resource-writes", pack: "security", description: "IAM write actions name their resources; `*` only for actions without resource-level permissions.", baseline: ["CKV_AWS_355", "CKV_AWS_290"], uses: [], types: IAM_DOC_TYPES,
      check: (r) => identityDocs(r).flatMap(({ where, doc }) => iamProblems(doc, where).wildcardResource) },
    { kind: "resource", name: "iam-no-privilege-escalation", pack: "security", description: "IAM policies allow no privilege escalation or credential exposure (iam:PassRole only on named roles).", baseline: ["CKV_AWS_286", "CKV_AWS_287"], uses: [], types: IAM_DOC_TYPES,
      check: (r) => identityDocs(r).flatMap(({ where, doc }) => iamProblems(doc, where).escalation) },
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
    { kind: "resource", name: "iam-no-admin-access", pack: "security", description: "No role, user or group gets AdministratorAccess.", baseline: ["CKV_AWS_274"], uses: [],
      types: [T.role, T.rolePolicyAttachment, T.userPolicyAttachment, T.groupPolicyAttachment, T.policyAttachment],
      check: (r) => {
          const arns: unknown[] = r.type === T.role ? (r.props.managedPolicyArns ?? []) : [r.props.policyArn];
          return arns.filter((a) => typeof a === "string" && /:policy\/(AdministratorAccess|IAMFullAccess)$/.test(a)).map((a) => `attaches ${a}`);
      } },
];
