/** Every rule of the security pack, in the order the pack lists them. */
import { Rule } from "../../lib/rule";
import { computeRules } from "./compute";
import { dataRules } from "./data";
import { iamDataRules } from "./iam-data";
import { networkRules } from "./network";
import { rdsIamRules } from "./rds-iam";
import { s3Rules } from "./s3";
import { sagemakerRules } from "./sagemaker";

export const SECURITY_RULES: Rule[] = [...s3Rules, ...rdsIamRules, ...iamDataRules, ...networkRules, ...computeRules, ...dataRules, ...sagemakerRules];
