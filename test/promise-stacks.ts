/**
 * Loaded by .mocharc.cjs in every test worker, before anything imports @pulumi/pulumi's resources.
 *
 * Pulumi's runtime wraps every promise it creates while registering a resource in `debuggablePromise`
 * (@pulumi/pulumi runtime/debuggable.js), which stores `new Error().stack` on the promise for one purpose: the leak
 * report printed at exit when PULUMI_DEBUG_PROMISE_LEAKS is set. Under the mock runtime nothing reads that text, and
 * capturing and formatting ten frames for each of the few thousand promises of a stack plan was about a third of the
 * CPU of every plan the tests make (a prod plan: 270 ms, 115 ms with no frames captured).
 *
 * So, unless PULUMI_DEBUG_PROMISE_LEAKS is set (then the stacks are wanted and nothing changes), the workers make
 * that one capture with no frames. The promises are still created, named, tracked as leak candidates and chained
 * exactly as before; errors thrown anywhere else, including inside the program and the mocks, keep their stacks.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const debuggable = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise?: (p: Promise<unknown>, ctx: unknown) => Promise<unknown> };

if (!process.env.PULUMI_DEBUG_PROMISE_LEAKS) {
    const original = debuggable.debuggablePromise;
    if (typeof original !== "function") {
        // @pulumi/pulumi is pinned: an upgrade that moved the function must update this file, not leave tests slow.
        throw new Error("test/promise-stacks.ts: @pulumi/pulumi/runtime/debuggable no longer exports debuggablePromise; update or remove this file");
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
}
