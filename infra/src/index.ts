// @orchestra/infra: the kit's public surface. Constructs a platform team composes into its own
// stacks, the guardrail aspects that check them, and the IAM and naming helpers they share.
// This repository's own deployment of the kit (configs, stack, app) lives in environments/.
export * from './iam';
export { InvalidPropsError } from './props-validator';
export { isDomainName, isResourceName, prefixed } from './naming';
export * from './networking/network';
export { cidrsOverlap, isIpv4Cidr } from './networking/cidr';
export * from './security/credential-name';
export * from './security/deployer-identity';
export * from './security/project-services';
export * from './security/resource-apis';
export * from './security/custom-role';
export * from './security/secret';
export * from './security/service-account';
export * from './storage/firestore-mongo-database';
export * from './storage/private-bucket';
export * from './storage/redis-cache';
export * from './ai/vector-search';
export * from './ai/vertex-models';
export * from './compute/container-repository';
export * from './compute/https-load-balancer';
export * from './compute/runtime-service';
export * from './guardrails';
