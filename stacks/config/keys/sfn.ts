import { MAX_STATE_MACHINE_PREFIX_LENGTH, TriggerSpec, triggerShapeProblems } from "../../../components/sfn/rules";
import { ConfigProblem, KeySpecs, show } from "../spec";

/**
 * Shape check of `triggers`; the per-trigger rules that need the state machine prefix (flow name length) run in
 * `stacks/config/index.ts` once the prefix is known.
 */
function parseTriggers(value: unknown, key: string, problems: ConfigProblem[]): TriggerSpec[] | undefined {
    const found = triggerShapeProblems(value);
    for (const p of found) {
        const at = p.index === undefined ? key : `${key}[${p.index}]${p.field ? `.${p.field}` : ""}`;
        const given = p.index === undefined ? value : p.field ? (value as any[])[p.index][p.field] : (value as any[])[p.index];
        problems.push({ key: at, given: show(given), allowed: p.message });
    }
    return found.length ? undefined : (value as TriggerSpec[]);
}

/** Step Functions scheduling (`step-functions create`) and event-driven pipeline triggers. */
export const sfnKeys = {
    sfnStateMachinePrefix: {
        type: "string",
        pattern: { regex: new RegExp(`^[A-Za-z0-9][A-Za-z0-9_-]{0,${MAX_STATE_MACHINE_PREFIX_LENGTH - 1}}$`), describe: `1-${MAX_STATE_MACHINE_PREFIX_LENGTH} letters, digits, hyphens or underscores, starting with a letter or digit` },
        description: "Prefix of the state machines Metaflow deploys (<prefix>_<FlowName>, METAFLOW_SFN_STATE_MACHINE_PREFIX); the events role may start only these. Needs a hyphen: Metaflow omits a prefix that a flow or project name starts with. Default: namePrefix.",
    },
    triggers: {
        type: "object",
        default: [],
        shape: "list of {flow, s3Prefix | schedule | eventPattern, parameters: {name: value}, keyParameter, name}",
        description: "Event-driven pipeline starts: each starts the deployed flow's state machine on new objects under an S3 prefix of the datastore bucket, a schedule, or an EventBridge pattern.",
        parse: parseTriggers,
    },
} satisfies KeySpecs;
