/**
 * AWS calls made by boto3 (support/boto_calls.py) in one Python process for a whole sequence of calls, so a test can
 * read as the sequence it drives, assert each answer, and pay for boto3's start once. The process is tracked from the
 * moment it is spawned (test/processes.ts) and stopped by `stop`, or when the test process exits or is told to
 * terminate.
 */
import * as path from "path";
import * as readline from "readline";

import { startTracked, stop } from "../../processes";

/** What boto3 answered (ResponseMetadata left out, times in ISO 8601), or the error AWS answered. */
export type Answer = { answer: Record<string, any>; error?: undefined } | { answer?: undefined; error: { Code: string; Message: string } };

export interface BotoCalls {
    /** `operation` is boto3's method name (`describe_endpoint`); the parameters are the API's. */
    call(service: string, operation: string, params?: Record<string, unknown>): Promise<Answer>;
    stop(): void;
}

/** Starts the Python that makes the calls, with `env` (AWS_ENDPOINT_URL, AWS_DEFAULT_REGION, credentials). */
export function startBotoCalls(python: string, env: NodeJS.ProcessEnv): BotoCalls {
    const child = startTracked(python, [path.join(__dirname, "boto_calls.py")], { env }, "pipe");
    const waiting: Array<{ resolve(a: Answer): void; reject(e: Error): void }> = [];
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
    readline.createInterface({ input: child.stdout! }).on("line", (line) => waiting.shift()?.resolve(JSON.parse(line)));
    child.once("close", (code, signal) => {
        for (const w of waiting.splice(0)) w.reject(new Error(`boto_calls.py exited (${code ?? signal}):\n${stderr}`));
    });
    return {
        call(service, operation, params = {}) {
            return new Promise((resolve, reject) => {
                if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`boto_calls.py is not running:\n${stderr}`));
                waiting.push({ resolve, reject });
                child.stdin!.write(`${JSON.stringify({ service, operation, params })}\n`);
            });
        },
        stop: () => stop(child),
    };
}
