import { IAM_ROLE_NAME } from "../../../components/engineer-access";
import { KeySpecs } from "../spec";

/** Who may use the platform. */
export const accessKeys = {
    engineerRoleNames: {
        type: "array",
        default: [],
        pattern: { regex: IAM_ROLE_NAME, describe: "IAM role names" },
        description: "Existing IAM roles of ML engineers (e.g. the federated FreeIPA/SSO roles) that get the platform's engineer policy; the policy is created either way.",
    },
    accessInstance: {
        type: "boolean",
        default: false,
        description: "A stack without a foundation: one t4g.nano in a private subnet through which engineers reach the metadata service with Session Manager port forwarding (no inbound ports).",
    },
} satisfies KeySpecs;
