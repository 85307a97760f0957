/**
 * The IAM documents of the workspaces, as functions of plain values (the component calls them once the domain's id is
 * known), so the tests simulate exactly these documents with AWS's evaluation logic.
 *
 * - {@link executionRoleStatements}: what JupyterLab itself calls with an engineer's execution role, after AWS's
 *   "Give your users access to spaces" (docs.aws.amazon.com/sagemaker/latest/dg/studio-updated-jl-admin-guide-permissions.html):
 *   private spaces and their apps only when the engineer's own profile owns them, tags only on create, instance types
 *   only from the cost policy's list. Running flows comes from the engineer policy, attached to the role as well.
 *   AWS's sample names the owner with the policy variables `${sagemaker:DomainId}` and `${sagemaker:UserProfileName}`
 *   in one role shared by all profiles; AWS's IAM data lists neither key for CreateApp or CreateSpace, and AWS's
 *   evaluation logic (iam-simulate) then never matches the statement. So each engineer gets a role naming their own
 *   profile's ARN: no policy variable, and the role is theirs in CloudTrail.
 * - {@link engineerStatements}: what the engineers' own (federated) roles may do with the domain: open only the
 *   profile whose owner tag equals their principal tag, AWS's pattern for several engineers behind one role
 *   (AWS ML Blog, "Configuring Amazon SageMaker Studio for teams and groups with complete resource isolation";
 *   design: docs/design/workspaces-and-serving.md §1.3), and never change tags, profiles or the domain.
 *
 * Pure module: no Pulumi import.
 */

/** An IAM statement. */
export type Statement = Record<string, unknown>;

/** Where the domain is: `sagemaker` is `arn:<partition>:sagemaker:<region>:<account>` (no trailing colon). */
export interface DomainArns {
    sagemaker: string;
    domainId: string;
}

/** One engineer's profile in the domain. */
export interface ProfileArns extends DomainArns {
    profile: string;
}

/** An IAM policy document of the statements. */
export function policyDocument(statements: Statement[]): string {
    return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/** What JupyterLab calls with an engineer's execution role: their own private spaces and apps, within the allowed instance types. */
export function executionRoleStatements(a: ProfileArns, allowedInstanceTypes: string[]): Statement[] {
    const sm = a.sagemaker;
    const own = `${sm}:user-profile/${a.domainId}/${a.profile}`;
    const owned = { ArnEquals: { "sagemaker:OwnerUserProfileArn": own }, StringEquals: { "sagemaker:SpaceSharingType": "Private" } };
    return [
        // List and Describe calls of the Studio UI; the List actions have no resource-level permissions.
        { Sid: "StudioList", Effect: "Allow", Action: ["sagemaker:ListApps", "sagemaker:ListSpaces", "sagemaker:ListUserProfiles", "sagemaker:ListDomains"], Resource: "*" },
        { Sid: "StudioDescribe", Effect: "Allow", Action: ["sagemaker:DescribeDomain", "sagemaker:DescribeUserProfile", "sagemaker:DescribeSpace", "sagemaker:DescribeApp"], Resource: domainResources(a) },
        { Sid: "OwnPrivateSpaces", Effect: "Allow", Action: ["sagemaker:CreateSpace", "sagemaker:UpdateSpace", "sagemaker:DeleteSpace"], Resource: `${sm}:space/${a.domainId}/*`, Condition: owned },
        { Sid: "OwnPrivateApps", Effect: "Allow", Action: ["sagemaker:CreateApp", "sagemaker:DeleteApp"], Resource: `${sm}:app/${a.domainId}/*`, Condition: owned },
        // Studio tags what it creates; tags may be added only in the create call, never to an existing resource.
        { Sid: "TagOnCreate", Effect: "Allow", Action: "sagemaker:AddTags", Resource: [`${sm}:space/${a.domainId}/*`, `${sm}:app/${a.domainId}/*`], Condition: { Null: { "sagemaker:TaggingAction": "false" } } },
        { Sid: "OwnProfileUrl", Effect: "Allow", Action: "sagemaker:CreatePresignedDomainUrl", Resource: own },
        {
            Sid: "AllowedInstanceTypesOnly",
            Effect: "Deny",
            Action: ["sagemaker:CreateApp", "sagemaker:CreateSpace", "sagemaker:UpdateSpace"],
            Resource: "*",
            Condition: { "ForAnyValue:StringNotEquals": { "sagemaker:InstanceTypes": allowedInstanceTypes } },
        },
    ];
}

/** The domain itself and everything in it. */
function domainResources(a: DomainArns): string[] {
    return [`${a.sagemaker}:domain/${a.domainId}`, ...["user-profile", "space", "app"].map((kind) => `${a.sagemaker}:${kind}/${a.domainId}/*`)];
}

/** The engineers' statements on the domain: their own profile only, by principal tag; tags, profiles and the domain untouchable. */
export function engineerStatements(a: DomainArns, tagKey: string): Statement[] {
    const sm = a.sagemaker;
    const sameOwner = { [`sagemaker:ResourceTag/${tagKey}`]: `\${aws:PrincipalTag/${tagKey}}` };
    const profiles = `${sm}:user-profile/${a.domainId}/*`;
    return [
        { Sid: "StudioList", Effect: "Allow", Action: ["sagemaker:ListDomains", "sagemaker:ListUserProfiles", "sagemaker:ListSpaces", "sagemaker:ListApps"], Resource: "*" },
        { Sid: "DescribeWorkspacesDomain", Effect: "Allow", Action: "sagemaker:DescribeDomain", Resource: `${sm}:domain/${a.domainId}` },
        { Sid: "OpenOwnProfile", Effect: "Allow", Action: ["sagemaker:CreatePresignedDomainUrl", "sagemaker:DescribeUserProfile"], Resource: profiles, Condition: { StringEquals: sameOwner } },
        { Sid: "DenyOtherProfiles", Effect: "Deny", Action: ["sagemaker:CreatePresignedDomainUrl", "sagemaker:DescribeUserProfile"], Resource: `${sm}:user-profile/*`, Condition: { StringNotEquals: sameOwner } },
        { Sid: "DenyWithoutPrincipalTag", Effect: "Deny", Action: "sagemaker:CreatePresignedDomainUrl", Resource: "*", Condition: { Null: { [`aws:PrincipalTag/${tagKey}`]: "true" } } },
        // The owner tag is the lock: nobody behind these roles may add, change or remove tags on a profile or the domain.
        { Sid: "DenyRetagging", Effect: "Deny", Action: ["sagemaker:AddTags", "sagemaker:DeleteTags"], Resource: [`${sm}:user-profile/*`, `${sm}:domain/*`] },
        {
            Sid: "DenyChangingWorkspaces",
            Effect: "Deny",
            Action: ["sagemaker:CreateUserProfile", "sagemaker:UpdateUserProfile", "sagemaker:DeleteUserProfile", "sagemaker:UpdateDomain", "sagemaker:DeleteDomain"],
            Resource: [`${sm}:user-profile/*`, `${sm}:domain/*`],
        },
        // Studio has no root-access switch; notebook instances do: none with root access (IAM key sagemaker:RootAccess).
        { Sid: "DenyRootNotebookInstances", Effect: "Deny", Action: ["sagemaker:CreateNotebookInstance", "sagemaker:UpdateNotebookInstance"], Resource: "*", Condition: { StringEquals: { "sagemaker:RootAccess": "Enabled" } } },
    ];
}
