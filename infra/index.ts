// The kit's public surface: constructs a platform team composes into its own stacks.
export * from './iam';
export { InvalidPropsError } from './props-validator';
export { prefixed } from './naming';
export * from './networking/network';
export { cidrsOverlap, isIpv4Cidr } from './networking/cidr';
export * from './security/project-services';
export * from './security/service-account';
export * from './security/secret';
export * from './storage/redis-cache';
export * from './storage/firestore-mongo-database';
export * from './storage/private-bucket';
export * from './ai/vector-search';
export * from './compute/container-repository';
export * from './compute/runtime-service';
export * from './compute/https-load-balancer';
export { OrchestraStack, stackName } from './stack';
export { InvalidEnvironmentsError, synthesizeEnvironments } from './app';
export * from './guardrails';
