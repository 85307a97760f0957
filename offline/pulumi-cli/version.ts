/**
 * `requiredPulumiVersion` (Pulumi.yaml, project.go:363-369; PulumiPolicy.yaml through `PluginProject`, project.go:955):
 * a version range in the syntax of github.com/blang/semver `ParseRange`, checked by `pulumi preview`, `up`, `refresh`,
 * `destroy` and `import` (`ValidatePulumiVersionRange`, sdk/go/common/resource/plugin/plugin.go:701-718) and when a
 * policy pack starts (plugin.go:535-547). This evaluates the subset of that syntax a project writes: comparators
 * `>=`, `>`, `<=`, `<`, `=`, `==`, `!`, `!=` or a bare version, AND-ed by spaces and OR-ed by `||`.
 *
 * Pure module: no Pulumi import.
 */

type Version = [number, number, number];

function parseVersion(text: string): Version | undefined {
    const m = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(text.trim());
    return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function compare(a: Version, b: Version): number {
    for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
    return 0;
}

/** Whether `version` satisfies `range`; throws on a range blang/semver would not parse. */
export function satisfies(version: string, range: string): boolean {
    const v = parseVersion(version);
    if (!v) throw new Error(`parsing CLI version "${version}": not a semantic version`);
    return range.split("||").some((alternative) => {
        const parts = alternative.trim().split(/\s+/).filter(Boolean);
        if (!parts.length) throw new Error(`parsing CLI version range "${range}": empty range`);
        return parts.every((part) => {
            const m = /^(>=|<=|!=|==|>|<|=|!)?(.+)$/.exec(part)!;
            const bound = parseVersion(m[2]);
            if (!bound) throw new Error(`parsing CLI version range "${range}": could not parse "${part}"`);
            const c = compare(v, bound);
            switch (m[1]) {
                case ">=":
                    return c >= 0;
                case "<=":
                    return c <= 0;
                case ">":
                    return c > 0;
                case "<":
                    return c < 0;
                case "!":
                case "!=":
                    return c !== 0;
                default:
                    return c === 0;
            }
        });
    });
}

/** The lowest version of a range's first `>=` bound, for documentation and messages. */
export function minimumOf(range: string): string | undefined {
    return /(?:^|\s)>=\s*v?(\d+\.\d+\.\d+)/.exec(range)?.[1];
}
