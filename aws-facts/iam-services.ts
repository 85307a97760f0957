/**
 * Facts about how AWS services assume IAM roles, shared by the components that write trust policies and the rules that
 * check them. Pure module: no import.
 */

/**
 * Service principals that do not put `aws:SourceAccount` (nor `aws:SourceArn`) in the request context when they
 * assume a role, so a trust policy that requires either key is one they can never satisfy:
 * - `ec2.amazonaws.com`: EC2 assumes an instance profile's role for the instance itself, not on behalf of another
 *   service's resource. The IAM User Guide ("AWS global condition context keys") says the key "is only available
 *   when the call to your resource is made directly by an AWS service principal" and defers to each key's
 *   Availability; EC2 documents the instance role ("IAM roles for Amazon EC2",
 *   AWSEC2/latest/UserGuide/iam-roles-for-amazon-ec2.html) with an unconditioned trust and has no confused-deputy
 *   guidance for it, and scanners that demand the key on every service role report ec2.amazonaws.com roles as false
 *   positives for this reason (prowler-cloud/prowler#2810). Batch instances whose role EC2 cannot assume get no
 *   credentials, the ECS agent never registers, and every job stays RUNNABLE.
 * - `apigateway.amazonaws.com`: the role in the account's API Gateway settings (CloudWatch logging) is documented
 *   only with an unconditioned trust ("Set up CloudWatch logging for REST APIs in API Gateway", and the
 *   AWS::ApiGateway::Account example of the CloudFormation reference); API Gateway has no confused-deputy page for it.
 * Services that document the keys for their roles (and keep them): ECS tasks ("Amazon ECS task IAM role"), Step
 * Functions and EventBridge (their "cross-service confused deputy prevention" pages), VPC flow logs ("IAM role for
 * publishing flow logs to CloudWatch Logs"), SageMaker AI ("Cross-service confused deputy prevention",
 * sagemaker/latest/dg/security-confused-deputy-prevention.html: it recommends aws:SourceAccount and aws:SourceArn
 * for sagemaker.amazonaws.com, and its training-job section shows a trust policy conditioned on aws:SourceArn
 * `...:training-job/*`, the account being in that ARN). Not verified from the documentation: that SageMaker hosting
 * (CreateModel, endpoints) supplies the keys too; if a model fails to assume the role, list sagemaker here.
 */
export const NO_SOURCE_ACCOUNT_SERVICES: ReadonlySet<string> = new Set(["ec2.amazonaws.com", "apigateway.amazonaws.com"]);
