/**
 * One request simulated with AWS's policy evaluation logic (@cloud-copilot/iam-simulate, offline), as the IAM tests
 * ask it: a principal of the mock account, its identity policies, over TLS. Errors of the simulation (an unknown
 * action, a malformed ARN) fail the test rather than read as a denial.
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";

import { MOCK_ACCOUNT } from "../../offline/mocks";

export type SimulationResult = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

/** `context` values are strings, or lists for multi-valued keys. */
export async function simulateRequest(principal: string, policies: unknown[], action: string, resource: string, context: Record<string, string | string[]> = {}): Promise<SimulationResult> {
    const result = await runSimulation(
        {
            request: { principal, action, resource: { resource, accountId: MOCK_ACCOUNT }, contextVariables: { "aws:SecureTransport": "true", ...context } },
            identityPolicies: policies.map((policy, i) => ({ name: `policy-${i}`, policy })),
            serviceControlPolicies: [],
            resourceControlPolicies: [],
        },
        {},
    );
    if (result.resultType === "error") throw new Error(`${action} on ${resource}: ${JSON.stringify(result.errors)}`);
    return result.overallResult;
}
