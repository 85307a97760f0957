import { WorkspacesInput, workspaceShapeProblems, WORKSPACE_FIELDS } from "../../../components/workspaces/rules";
import { ConfigProblem, KeySpecs, show } from "../spec";

/**
 * Shape check of `workspaces` (fields, engineers, AWS's ranges); the rules that need the environment and its cost
 * limits (allowed instance types, idle and volume ceilings, prod's retained home volume) run in `stacks/config/index.ts`.
 */
function parseWorkspaces(value: unknown, key: string, problems: ConfigProblem[]): WorkspacesInput | undefined {
    const found = workspaceShapeProblems(value);
    for (const p of found) problems.push({ key: p.field ? `${key}.${p.field}` : key, given: p.given === undefined ? "nothing" : show(p.given), allowed: p.message });
    // Problems with engineers or unknown fields leave the limits checkable: report those too, all at once.
    return found.some((p) => LIMIT_FIELDS.has(p.field.split(/[.[]/)[0])) ? undefined : (value as WorkspacesInput);
}

/** The fields the environment's limits are checked on (`workspaceLimitProblems`); "" is the value itself. */
const LIMIT_FIELDS = new Set(["", "defaultInstanceType", "idleTimeoutMinutes", "maxIdleTimeoutMinutes", "spaceStorageGb", "egress", "pipIndexUrl", "retainHomeEfs"]);

/** SageMaker Studio workspaces for the engineers (components/workspaces). */
export const workspaceKeys = {
    workspaces: {
        type: "object",
        shape: `{${WORKSPACE_FIELDS.join(", ")}}`,
        description:
            "SageMaker Studio workspaces: a VPC-only domain in the private subnets (IAM authentication, volumes under the platform key, Docker off) and one user profile per engineer, which only that engineer may open (`engineers: [{id, profile?}]`, id = the value of their principal tag `principalTagKey`, default studiouserid, set by the identity provider). JupyterLab writes ~/.metaflowconfig/config_<stack>.json from Parameter Store on every start and installs Metaflow `metaflowVersion` (default the platform's, 2.19.38). Defaults: `defaultInstanceType` ml.t3.medium, `idleTimeoutMinutes` 60 (AWS's minimum), `maxIdleTimeoutMinutes` the cost policy's maxStudioIdleMinutes (dev and staging 120, prod 60), `spaceStorageGb` {default: 5, max: maxStudioSpaceGb (dev and staging 20, prod 10)}, `egress` network (the VPC's NAT; `endpoints` adds interface endpoints and needs `pipIndexUrl`), `retainHomeEfs` true in prod only. Instance types: the cost policy's allowedStudioInstanceTypes (dev ml.t3.medium/large/xlarge and ml.m5.large/xlarge, staging ml.t3.medium/large, prod ml.t3.medium). Unset: no domain.",
        parse: parseWorkspaces,
    },
} satisfies KeySpecs;
