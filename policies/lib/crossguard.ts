/**
 * Turns rules into CrossGuard policies: the only bridge between the rule modules and `@pulumi/policy`. It builds plain
 * policy objects (no import of @pulumi/policy at run time), so tests can call the validate functions with hand-made
 * validation arguments; only a pack's `index.ts` passes them to `new PolicyPack(...)`.
 */
import type { Policies, ReportViolation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";

import { configSchemaOf, Rule } from "./rule";
import { PolicySettings, resolveSettings } from "./settings";
import { fromCrossGuard } from "./view";

function settingsOf(args: { getConfig<T extends object>(): T }): PolicySettings {
    return resolveSettings(args.getConfig<Partial<PolicySettings>>());
}

export function toPolicies(rules: Rule[]): Policies {
    return rules.map((rule) => {
        const common = {
            name: rule.name,
            description: rule.baseline?.length ? `${rule.description} (${rule.baseline.join(", ")})` : rule.description,
            enforcementLevel: rule.enforcementLevel ?? "mandatory",
            configSchema: configSchemaOf(rule),
        };
        if (rule.kind === "resource") {
            return {
                ...common,
                validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
                    if (!rule.types.includes(args.type)) return;
                    for (const message of rule.check(fromCrossGuard(args), settingsOf(args))) report(message);
                },
            };
        }
        return {
            ...common,
            validateStack: (args: StackValidationArgs, report: ReportViolation) => {
                const views = args.resources.map((r) => fromCrossGuard(r));
                for (const v of rule.check(views, settingsOf(args))) report(v.message, v.urn);
            },
        };
    });
}
