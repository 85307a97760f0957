/**
 * How many metadata service tasks a team needs, from the capacity bench (docs/metadata-service.md, "Capacity,
 * measured"; scripts/capacity.ts). Written once: the environments' defaults (stacks/config/keys/service.ts), the
 * sizing table in docs/metadata-service.md and its test all read it.
 *
 * Measured on 2026-12-08 (paced replay of Metaflow 2.19.38's own request mix, one service process as one task runs
 * it): p99 passed 1 s at 3 engineers each running a 100-way foreach (run B, 308 req/s, the service at 0.53 of a core),
 * and stayed at 823 ms with the service alone on a core (run C, 0.47 of a core); 2 engineers stayed under 110 ms.
 * The service saturated before its process used a whole core: its event loop waits on the database between requests.
 *
 * Pure module: no Pulumi import.
 */

/** Engineers with a 100-way foreach in flight at once that one task carries: 2, one below the measured saturation at 3. */
export const ENGINEERS_PER_TASK = 2;

/**
 * The service's CPU utilisation autoscaling keeps (ECS CPUUtilization is relative to the task's 1 vCPU): 40%, below
 * the lowest share at which a process saturated (47% of a core, run C; 53%, run B), so tasks are added before the knee
 * rather than at it.
 */
export const CPU_TARGET_PERCENT = 40;

/** Tasks for a number of engineers whose fan-outs overlap, never fewer than `floor` (prod: 2, one per zone). */
export function tasksFor(concurrentEngineers: number, floor = 1): number {
    return Math.max(floor, Math.ceil(concurrentEngineers / ENGINEERS_PER_TASK));
}

/**
 * The engineers each environment is sized for at its peak (the most tasks autoscaling may start): dev 4 and staging 6
 * overlapping fan-outs, prod all 20 of the team's engineers at once.
 */
export const PEAK_ENGINEERS = { dev: 4, staging: 6, prod: 20 } as const;
