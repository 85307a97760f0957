/** AWS Batch compute for Metaflow's `@batch`: shared pieces, queues, and the job role. */
export * from "./compute";
export * from "./job-role";
export * from "./queue";
export * from "./queue-rules";
export { instanceFacts, InstanceKind } from "../../aws-facts/instance-types";
export * from "./images";
