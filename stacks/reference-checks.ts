/**
 * The rules that need the neighbouring stacks' outputs as well as the configuration: checked once the references are
 * resolved and before anything is registered, reported like configuration problems (exit 2).
 */
import { connectionProblem } from "../components/metaflow-service/connections";
import { ConfigProblem, PlatformConfig } from "./config";
import { References } from "./references";
import { workspaceNetworkProblems } from "./workspaces";

/** The metadata service's peak connections fit its own database (a foundation's shared database is A01's to size). */
export function databaseConnectionProblems(config: PlatformConfig, references: References): ConfigProblem[] {
    if (references.foundation?.database) return [];
    const s = config.service;
    const problem = connectionProblem(s.database.instanceClass, s.maxTasks, s.ui !== undefined);
    if (!problem) return [];
    return [{ key: `${config.project}:serviceMaxTasks, ${config.project}:serviceDbInstanceClass`, given: `${s.maxTasks} and ${s.database.instanceClass}`, allowed: problem }];
}

/** Every rule between the configuration and the references. */
export function referenceConfigProblems(config: PlatformConfig, references: References): ConfigProblem[] {
    return [...workspaceNetworkProblems(config, references), ...databaseConnectionProblems(config, references)];
}
