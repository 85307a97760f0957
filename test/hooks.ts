/**
 * Mocha root hooks (loaded by .mocharc.cjs): after each test file, in each worker, the temporary folders the tests
 * made are removed. Mocha's parallel workers are stopped without a process `exit` event, so cleanup cannot wait for it.
 */
import { removeTempDirs } from "./harness";

export const mochaHooks = {
    afterAll(): void {
        removeTempDirs();
    },
};
