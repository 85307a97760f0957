/**
 * What Pulumi's runtime records for a real engine's diagnostics, and nothing under the mocks reads: made cheap for
 * the offline plan and the tests (offline/mocks.ts imports this module, so every offline run has it).
 *
 * - `debuggablePromise` (@pulumi/pulumi runtime/debuggable.js) stores `new Error().stack` on each of the few thousand
 *   promises a stack plan creates, for one purpose: the leak report printed at exit when PULUMI_DEBUG_PROMISE_LEAKS is
 *   set. Capturing and formatting ten frames for each was about a third of a plan's CPU (a prod plan: 270 ms, 115 ms
 *   with no frames). Here the capture has no frames; the promises are still created, named, tracked as leak
 *   candidates and chained exactly as before.
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
const resource = require("@pulumi/pulumi/resource") as { Resource?: { stackTrace?: (skip: number) => unknown[] } };
/* eslint-enable @typescript-eslint/no-require-imports */

/** Whether the runtime's diagnostic captures are trimmed in this process. */
export const TRIMMED = !process.env.PULUMI_DEBUG_PROMISE_LEAKS;

if (TRIMMED) {
    const original = debuggable.debuggablePromise;
    if (typeof original !== "function" || typeof resource.Resource?.stackTrace !== "function") {
        // @pulumi/pulumi is pinned: an upgrade that moved either function must update this file, not leave runs slow.
        throw new Error("offline/mock-runtime.ts: @pulumi/pulumi no longer has runtime/debuggable.debuggablePromise or Resource.stackTrace; update or remove this file");
    }
    debuggable.debuggablePromise = function debuggablePromise(p, ctx) {
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        try {
            return original(p, ctx);
        } finally {
            Error.stackTraceLimit = limit;
        }
    };
    resource.Resource.stackTrace = () => [];
}
