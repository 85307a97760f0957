/**
 * The neutral resource view every rule reads, and the adapters that build it from each source the rules must judge:
 * CrossGuard's validation arguments (`pulumi preview --policy-pack`), the offline plan's recorded registrations, a
 * `pulumi stack export` file and `pulumi preview --json` output.
 *
 * Pure module: no Pulumi import (CrossGuard types are structural), so tests, scripts and packs share it.
 */

/**
 * How the engine passes a value not known until the update (e.g. the ARN of a resource still to be created) to
 * policies during `pulumi preview`. Rules that cannot decide on such a value stay silent: the same policies run again
 * during `pulumi up`, when the value is known.
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknown(value: unknown): boolean {
    return value === UNKNOWN;
}

/** Where a value was marked secret, sources show this text (the offline recorder, `preview --json`). */
export const SECRET_TEXT = "[secret]";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** A provider as rules need it: its type and its inputs (default tags live here). */
export interface ProviderView {
    urn: string;
    type: string;
    props: Record<string, any>;
}

/** One resource, independent of where it was read from. */
export interface ResourceView {
    urn: string;
    /** Type token, e.g. `aws:s3/bucket:Bucket`; the stack's outputs appear as `pulumi:pulumi:Stack`. */
    type: string;
    /** Logical name. */
    name: string;
    /** Inputs (what the program declared). */
    props: Record<string, any>;
    /** Provider-computed state when the source has it (ids, ARNs); used to link resources that reference each other. */
    outputs?: Record<string, any>;
    /** Physical id when the source has it. */
    id?: string;
    protect: boolean;
    /** Unknown (undefined) under CrossGuard, which does not pass it to policies. */
    retainOnDelete?: boolean;
    parent?: string;
    provider?: ProviderView;
    /** URNs this resource depends on. */
    dependencies?: string[];
    /** Property name -> URNs the property's value came from (CrossGuard, stack exports). */
    propertyDependencies?: Record<string, string[]>;
}

/**
 * Decodes a value that a source may hold as JSON text (IAM policies, container definitions, provider inputs). Several
 * rules read the same document, so each text is parsed once: the result is deep-frozen and shared (a rule that tried
 * to change it would throw), and the memo is emptied when it holds more than MEMO_LIMIT texts.
 */
export function parseJsonish<T = any>(value: unknown): T | undefined {
    if (typeof value !== "string") return value as T | undefined;
    if (PARSED.has(value)) return PARSED.get(value) as T | undefined;
    if (PARSED.size >= MEMO_LIMIT) PARSED.clear();
    const parsed = parseText(value);
    PARSED.set(value, parsed);
    return parsed as T | undefined;
}

const MEMO_LIMIT = 50_000;
const PARSED = new Map<string, unknown>();

function parseText(value: string): unknown {
    if (isUnknown(value)) return undefined;
    const t = value.trim();
    if (!t.startsWith("{") && !t.startsWith("[")) return undefined;
    try {
        return deepFreeze(JSON.parse(t));
    } catch {
        return undefined;
    }
}

function deepFreeze<T>(value: T): T {
    if (value !== null && typeof value === "object") {
        for (const v of Object.values(value)) deepFreeze(v);
        Object.freeze(value);
    }
    return value;
}

/** True for a value a source marked secret (masked text, or a Pulumi secret envelope in a stack export). */
export function isSecretValue(value: unknown): boolean {
    if (value === SECRET_TEXT) return true;
    return value !== null && typeof value === "object" && SECRET_SIG in (value as object);
}

/**
 * Replaces Pulumi's serialized secrets (stack exports) with `[secret]`; rules never need the plaintext. Copies only
 * what holds a secret: a value without one is returned as it is (views never change the values they read).
 */
export function maskSecrets(value: any): any {
    if (value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) {
        let copy: any[] | undefined;
        value.forEach((v, i) => {
            const masked = maskSecrets(v);
            if (masked !== v) (copy ??= [...value])[i] = masked;
        });
        return copy ?? value;
    }
    if (SECRET_SIG in value) return SECRET_TEXT;
    let copy: Record<string, any> | undefined;
    for (const [k, v] of Object.entries(value)) {
        const masked = maskSecrets(v);
        if (masked !== v) (copy ??= { ...value })[k] = masked;
    }
    return copy ?? value;
}

/** `urn::id` (how state and the engine name a provider reference) -> urn. */
function providerUrn(ref: string | undefined): string | undefined {
    if (!ref) return undefined;
    const i = ref.lastIndexOf("::");
    return i > 0 && ref.slice(0, i).startsWith("urn:") ? ref.slice(0, i) : ref;
}

function nameOfUrn(urn: string): string {
    const i = urn.lastIndexOf("::");
    return i >= 0 ? urn.slice(i + 2) : urn;
}

/** Links provider references to the provider resources of the same list. */
function attachProviders(views: Array<ResourceView & { providerRef?: string }>): ResourceView[] {
    const providers = new Map(views.filter((v) => v.type.startsWith("pulumi:providers:")).map((v) => [v.urn, v]));
    return views.map(({ providerRef, ...v }) => {
        const p = providerRef ? providers.get(providerUrn(providerRef)!) : undefined;
        return p ? { ...v, provider: { urn: p.urn, type: p.type, props: p.props } } : v;
    });
}

// ---------------------------------------------------------------------------------------------------------------
// Sources

/** The fields of CrossGuard's ResourceValidationArgs / PolicyResource that the view needs (structural). */
export interface CrossGuardResource {
    type: string;
    urn: string;
    name: string;
    props: Record<string, any>;
    opts?: { protect?: boolean; parent?: string };
    provider?: { type: string; props: Record<string, any>; urn: string };
    parent?: { urn: string };
    dependencies?: Array<{ urn: string }>;
    propertyDependencies?: Record<string, Array<{ urn: string }>>;
}

export function fromCrossGuard(r: CrossGuardResource): ResourceView {
    return {
        urn: r.urn,
        type: r.type,
        name: r.name,
        props: r.props ?? {},
        protect: r.opts?.protect ?? false,
        parent: r.parent?.urn ?? r.opts?.parent,
        provider: r.provider ? { urn: r.provider.urn, type: r.provider.type, props: r.provider.props ?? {} } : undefined,
        dependencies: r.dependencies?.map((d) => d.urn),
        propertyDependencies: r.propertyDependencies
            ? Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, deps]) => [k, deps.map((d) => d.urn)]))
            : undefined,
    };
}

/** A resource as the offline recorder (offline/mocks.ts) or the plan's JSON document holds it. */
export interface PlanResource {
    urn: string;
    /** The provider id (the mock's), by which other resources refer to security groups, subnets and the like. */
    id?: string | null;
    type: string;
    name: string;
    parent?: string | null;
    protect?: boolean;
    retainOnDelete?: boolean;
    provider?: string | null;
    dependencies?: string[];
    inputs: Record<string, any>;
    /** The recorder's name for provider state; the plan document calls it `outputs`. */
    state?: Record<string, any>;
    outputs?: Record<string, any>;
}

/** From recorded registrations (or the plan's `resources`), plus the stack outputs as a `pulumi:pulumi:Stack` view. */
export function fromPlan(resources: PlanResource[], stackOutputs?: Record<string, unknown>, stack = "stack"): ResourceView[] {
    const views: Array<ResourceView & { providerRef?: string }> = resources.map((r) => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        id: r.id ?? undefined,
        props: r.inputs ?? {},
        outputs: r.outputs ?? r.state,
        protect: r.protect ?? false,
        retainOnDelete: r.retainOnDelete,
        parent: r.parent ?? undefined,
        providerRef: r.provider ?? undefined,
        dependencies: r.dependencies,
    }));
    if (stackOutputs) views.push(stackOutputsView(stackOutputs, stack));
    return attachProviders(views);
}

export function stackOutputsView(outputs: Record<string, unknown>, stack: string): ResourceView {
    return { urn: `urn:pulumi:${stack}::stack::pulumi:pulumi:Stack::${stack}`, type: "pulumi:pulumi:Stack", name: stack, props: outputs as Record<string, any>, protect: false };
}

/** A `pulumi stack export` document: `deployment.resources[]` with inputs, outputs, protect, retainOnDelete. */
export function fromStackExport(doc: any): ResourceView[] {
    const resources: any[] = doc?.deployment?.resources ?? [];
    const views = resources
        .filter((r) => r && typeof r.urn === "string" && typeof r.type === "string" && !r.delete)
        .map((r) => {
            const isStack = r.type === "pulumi:pulumi:Stack";
            return {
                urn: r.urn,
                type: r.type,
                name: nameOfUrn(r.urn),
                id: r.id,
                // The stack resource carries the stack outputs in `outputs`; other resources are judged on their inputs.
                props: maskSecrets(isStack ? r.outputs ?? {} : r.inputs ?? r.outputs ?? {}),
                outputs: maskSecrets(r.outputs ?? {}),
                protect: r.protect ?? false,
                retainOnDelete: r.retainOnDelete ?? false,
                parent: r.parent,
                providerRef: r.provider,
                dependencies: r.dependencies,
                propertyDependencies: r.propertyDependencies,
            };
        });
    return attachProviders(views);
}

/** `pulumi preview --json`: the planned state of each step (`newState`), skipping resources being deleted. */
export function fromPreview(doc: any): ResourceView[] {
    const steps: any[] = doc?.steps ?? [];
    const views = steps
        .filter((s) => s && s.op !== "delete" && s.op !== "discard" && s.op !== "delete-replaced")
        .map((s) => {
            const st = s.newState ?? s.resource ?? {};
            const type = st.type ?? s.type;
            const urn = st.urn ?? s.urn;
            return {
                urn,
                type,
                name: nameOfUrn(urn ?? ""),
                id: st.id,
                props: maskSecrets(type === "pulumi:pulumi:Stack" ? st.outputs ?? {} : st.inputs ?? {}),
                outputs: maskSecrets(st.outputs ?? {}),
                protect: st.protect ?? false,
                retainOnDelete: st.retainOnDelete ?? false,
                parent: st.parent,
                providerRef: st.provider ?? s.provider,
                dependencies: st.dependencies,
                propertyDependencies: st.propertyDependencies,
            };
        })
        .filter((v) => typeof v.urn === "string" && typeof v.type === "string");
    return attachProviders(views);
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers for rules

/**
 * Indexes built once per resource list, so that stack rules which look up, for each of many resources, the resources
 * of a type or the resources that refer to it stay linear in the size of the stack (a 30,000-resource export spent
 * most of `policy check` rescanning the whole list per bucket). A list's indexes are rebuilt if its length changes;
 * rules never mutate the lists they are given, and the arrays returned here must not be mutated either.
 */
interface ListIndex {
    length: number;
    byType: Map<string, ResourceView[]>;
    types: Map<string, ResourceView[]>;
    referrers: Map<string, { byUrn: Map<string, ResourceView[]>; byValue: Map<unknown, ResourceView[]>; order: Map<ResourceView, number> }>;
    identities: { byUrn: Map<string, ResourceView[]>; byValue: Map<unknown, ResourceView[]>; order: Map<ResourceView, number> } | undefined;
    /** Each resource's place in the list, built when first needed. */
    position: Map<ResourceView, number> | undefined;
}

const INDEXES = new WeakMap<ResourceView[], ListIndex>();

function indexOf(list: ResourceView[]): ListIndex {
    let ix = INDEXES.get(list);
    if (!ix || ix.length !== list.length) {
        const byType = new Map<string, ResourceView[]>();
        for (const r of list) {
            const bucket = byType.get(r.type);
            if (bucket) bucket.push(r);
            else byType.set(r.type, [r]);
        }
        ix = { length: list.length, byType, types: new Map(), referrers: new Map(), identities: undefined, position: undefined };
        INDEXES.set(list, ix);
    }
    return ix;
}

function positionsOf(list: ResourceView[], ix: ListIndex): Map<ResourceView, number> {
    ix.position ??= new Map(list.map((r, i) => [r, i]));
    return ix.position;
}

/** The resources of `types`, in list order. */
export function ofType(resources: ResourceView[], ...types: string[]): ResourceView[] {
    const ix = indexOf(resources);
    if (types.length === 1) return ix.byType.get(types[0]) ?? [];
    const key = types.join("\n");
    let found = ix.types.get(key);
    if (!found) {
        // From the per-type lists (each in list order), merged back into list order: no scan of the whole list.
        const lists = [...new Set(types)].map((t) => ix.byType.get(t) ?? []).filter((l) => l.length);
        found = lists.length === 1 ? lists[0] : lists.flat();
        if (lists.length > 1) {
            const position = positionsOf(resources, ix);
            found.sort((a, b) => position.get(a)! - position.get(b)!);
        }
        ix.types.set(key, found);
    }
    return found;
}

/** Identities computed once per view: stack rules ask for the same target's again and again. */
const IDENTITIES = new WeakMap<ResourceView, Set<unknown>>();

/** Values by which other resources may refer to `target`: id, name, ARN, bucket name, vpc id. */
function identities(target: ResourceView): Set<unknown> {
    let ids = IDENTITIES.get(target);
    if (!ids) {
        const o = target.outputs ?? {};
        const p = target.props ?? {};
        const values = [target.id, o.id, o.arn, o.bucket, o.name, o.vpcId, o.keyId, o.arnSuffix, p.bucket, p.name];
        ids = new Set(values.filter((v) => typeof v === "string" && v !== "" && v !== SECRET_TEXT));
        IDENTITIES.set(target, ids);
    }
    return ids;
}

/**
 * True when `source.props[prop]` refers to `target`: through the engine's property dependencies when the source has
 * them (values are unknown in a preview of new resources), else by value.
 */
export function refersTo(source: ResourceView, prop: string, target: ResourceView): boolean {
    const deps = source.propertyDependencies?.[prop];
    if (deps && deps.length) return deps.includes(target.urn);
    const value = getPath(source.props, prop);
    const ids = identities(target);
    const values = Array.isArray(value) ? value : [value];
    return values.some((v) => ids.has(v));
}

const push = <K, V>(map: Map<K, V[]>, key: K, value: V) => {
    const list = map.get(key);
    if (list) {
        if (list[list.length - 1] !== value) list.push(value);
    } else map.set(key, [value]);
};

/** Deduplicates and restores list order. */
function inOrder(found: ResourceView[], order: Map<ResourceView, number>): ResourceView[] {
    return [...new Set(found)].sort((a, b) => order.get(a)! - order.get(b)!);
}

/**
 * The resources of `type` in `all` whose `prop` refers to `target` (as `refersTo` decides), through an index of `all`:
 * the same answer as `ofType(all, type).filter((c) => refersTo(c, prop, target))`, without scanning per target.
 */
export function referrers(all: ResourceView[], type: string, prop: string, target: ResourceView): ResourceView[] {
    const ix = indexOf(all);
    const key = `${type}\n${prop}`;
    let r = ix.referrers.get(key);
    if (!r) {
        r = { byUrn: new Map(), byValue: new Map(), order: new Map() };
        ofType(all, type).forEach((c, i) => {
            r!.order.set(c, i);
            const deps = c.propertyDependencies?.[prop];
            if (deps && deps.length) for (const d of deps) push(r!.byUrn, d, c);
            else {
                const value = getPath(c.props, prop);
                for (const v of Array.isArray(value) ? value : [value]) push(r!.byValue, v, c);
            }
        });
        ix.referrers.set(key, r);
    }
    const found = [...(r.byUrn.get(target.urn) ?? [])];
    for (const id of identities(target)) found.push(...(r.byValue.get(id) ?? []));
    return found.length > 1 ? inOrder(found, r.order) : found;
}

/** The resources of `types` that `source.props[prop]` refers to. */
export function referenced(source: ResourceView, prop: string, candidates: ResourceView[]): ResourceView[] {
    const ix = indexOf(candidates);
    if (!ix.identities) {
        const id = { byUrn: new Map<string, ResourceView[]>(), byValue: new Map<unknown, ResourceView[]>(), order: new Map<ResourceView, number>() };
        candidates.forEach((c, i) => {
            id.order.set(c, i);
            push(id.byUrn, c.urn, c);
            for (const v of identities(c)) push(id.byValue, v, c);
        });
        ix.identities = id;
    }
    const { byUrn, byValue, order } = ix.identities;
    const byDeps = source.propertyDependencies?.[prop];
    if (byDeps && byDeps.length) return inOrder(byDeps.flatMap((u) => byUrn.get(u) ?? []), order);
    const value = getPath(source.props, prop);
    const found = (Array.isArray(value) ? value : [value]).flatMap((v) => byValue.get(v) ?? []);
    return found.length > 1 ? inOrder(found, order) : found;
}

/** Reads `a.b[0].c` style paths. */
export function getPath(obj: any, path: string): any {
    return path.split(/\.|\[(\d+)\]/).filter((s) => s !== undefined && s !== "").reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

/** The effective tags of a resource: the provider's default tags, overridden by the resource's own. */
export function effectiveTags(r: ResourceView, defaultProvider?: ProviderView): Record<string, string> {
    const provider = r.provider ?? defaultProvider;
    const providerTags = parseJsonish<{ tags?: Record<string, string> }>(provider?.props?.defaultTags)?.tags ?? {};
    const own = (parseJsonish<Record<string, string>>(r.props.tags) ?? {}) as Record<string, string>;
    return { ...providerTags, ...own };
}
