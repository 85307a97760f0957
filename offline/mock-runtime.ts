/**
 * What Pulumi's runtime records for a real engine's diagnostics, and nothing under the mocks reads: made cheap for
 * the offline plan and the tests (offline/mocks.ts imports this module, so every offline run has it).
 *
 * - `debuggablePromise` (@pulumi/pulumi runtime/debuggable.js) defines three debug properties on each of the few
 *   thousand promises a stack plan creates (an id, a context and `new Error().stack`), read for one purpose: the
 *   leak report printed at exit when PULUMI_DEBUG_PROMISE_LEAKS is set. Capturing and formatting ten frames for each
 *   was about a third of a plan's CPU (a prod plan: 270 ms, 115 ms with no frames), and defining the properties
 *   another 6% of the tests' CPU. Here the first call goes to Pulumi's function (which schedules the leak check at
 *   exit); every later one only does what the leak check reads: the promise is tracked as a leak candidate until it
 *   settles, and chained exactly as Pulumi chains it.
 * - `Resource.stackTrace` (resource.js) parses a whole stack (`Error.stackTraceLimit` infinite) on every resource
 *   registration, for the source position the engine shows next to a resource's errors; the mock monitor never reads
 *   it. Here it returns no frames, so registrations carry no source position.
 *
 * With PULUMI_DEBUG_PROMISE_LEAKS set nothing changes (the stacks are then wanted). Errors thrown anywhere, including
 * inside the program and the mocks, keep their stacks. Never loaded on `pulumi up`'s path (index.ts does not import
 * offline/).
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const debuggable = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise?: (p: Promise<unknown>, ctx: unknown) => Promise<unknown> };
const state = require("@pulumi/pulumi/runtime/state") as { getStore?: () => { leakCandidates: Set<Promise<unknown>> } };
const resource = require("@pulumi/pulumi/resource") as { Resource?: { stackTrace?: (skip: number) => unknown[] } };
/* eslint-enable @typescript-eslint/no-require-imports */

/** Whether the runtime's diagnostic captures are trimmed in this process. */
export const TRIMMED = !process.env.PULUMI_DEBUG_PROMISE_LEAKS;

if (TRIMMED) {
    const original = debuggable.debuggablePromise;
    const getStore = state.getStore;
    if (typeof original !== "function" || typeof resource.Resource?.stackTrace !== "function" || typeof getStore !== "function") {
        // @pulumi/pulumi is pinned: an upgrade that moved these must update this file, not leave runs slow or wrong.
        throw new Error("offline/mock-runtime.ts: @pulumi/pulumi no longer has runtime/debuggable.debuggablePromise, runtime/state.getStore or Resource.stackTrace; update or remove this file");
    }
    let leakCheckScheduled = false;
    debuggable.debuggablePromise = function debuggablePromise(p, ctx) {
        if (!leakCheckScheduled) {
            leakCheckScheduled = true;
            return original(p, ctx);
        }
        // debuggable.js, less the three debug properties: the same leak candidates, the same chain.
        const { leakCandidates } = getStore();
        leakCandidates.add(p);
        return p.then(
            (value) => {
                leakCandidates.delete(p);
                return value;
            },
        ).catch((err: { promise?: unknown }) => {
            leakCandidates.delete(p);
            err.promise = p;
            throw err;
        });
    };
    resource.Resource.stackTrace = () => [];
}
