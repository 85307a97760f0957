import { IAM_ROLE_NAME } from "../../../components/engineer-access";
import { FlowDeploySources, flowDeploySourceProblems } from "../../../components/flow-deploy-role";
import { ConfigProblem, KeySpecs, show } from "../spec";

const FLOW_DEPLOY_FIELDS = ["repositories", "branches", "environment", "oidcProviderArn"];

/** `flowDeploy`: who may deploy flows from CI; `branches` defaults to `["main"]`. */
function parseFlowDeploy(value: unknown, key: string, problems: ConfigProblem[]): FlowDeploySources | undefined {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
        problems.push({ key, given: show(value), allowed: "expected an object {repositories, branches, environment, oidcProviderArn}" });
        return undefined;
    }
    const v = { branches: ["main"], ...(value as Record<string, unknown>) } as Record<string, unknown>;
    const found = flowDeploySourceProblems(v as Partial<FlowDeploySources>);
    for (const field of Object.keys(v)) if (!FLOW_DEPLOY_FIELDS.includes(field)) found.push({ field, message: `unknown field; allowed: ${FLOW_DEPLOY_FIELDS.join(", ")}` });
    for (const p of found) problems.push({ key: `${key}.${p.field}`, given: show(v[p.field]), allowed: p.message });
    return found.length ? undefined : (v as unknown as FlowDeploySources);
}

/** Who may use the platform. */
export const accessKeys = {
    engineerRoleNames: {
        type: "array",
        default: [],
        pattern: { regex: IAM_ROLE_NAME, describe: "IAM role names" },
        description: "Existing IAM roles of ML engineers (e.g. the federated FreeIPA/SSO roles) that get the platform's engineer policy; the policy is created either way.",
    },
    flowDeploy: {
        type: "object",
        shape: "{repositories: [owner/name], branches: [main], environment, oidcProviderArn}",
        description: "A role that flow repositories' GitHub Actions assume through GitHub's OIDC provider to deploy flows (step-functions create): only these repositories, on these branches (default [main]; exact names) or in this GitHub environment, allowed exactly what step-functions create calls, plus its delivery metrics (PutMetricData in Metaflow/Delivery/<namePrefix> only). Without oidcProviderArn the stack creates the account's GitHub OIDC provider (one per account: the account's other stacks pass its ARN). Unset: no deploy role.",
        parse: parseFlowDeploy,
    },
    accessInstance: {
        type: "boolean",
        default: false,
        description: "A stack without a foundation: one t4g.nano in a private subnet through which engineers reach the metadata service with Session Manager port forwarding (no inbound ports).",
    },
} satisfies KeySpecs;
