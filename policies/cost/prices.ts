/**
 * The cost estimator's price table lives in aws-facts/prices.ts, below the stacks, so that a stack can publish the
 * prices its usage is estimated with (the setting `batch-prices`) without importing a policy.
 */
export * from "../../aws-facts/prices";
