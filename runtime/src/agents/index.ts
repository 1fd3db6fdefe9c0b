export { type AgentClass, type AgentDeps, type AgentInit, BaseAgent } from './base-agent';
export {
  type BudgetLimits,
  BudgetLimitsSchema,
  type BudgetReport,
  type BudgetStop,
  type CallUsage,
  DEFAULT_MAX_OUTPUT_TOKENS,
  LlmPricing,
  RunBudget,
  type RunUsage,
  type TeamBudget,
  estimateOutputTokens,
  estimatePromptTokens,
} from './budget';
export { type CapabilityMatch, matchByCapability } from './capability-match';
export { CoordinatorAgent, type CoordinatorConfig, CoordinatorConfigSchema } from './coordinator-agent';
export {
  AgentConfigError,
  type AgentFailure,
  type AgentFailureKind,
  AgentRegistryError,
  type AgentRegistryErrorReason,
  BudgetExceededError,
  BudgetRequestError,
  DelegationError,
  DelegationLimitError,
  RunAbortedError,
  TeamConfigError,
  describeFailure,
} from './errors';
export { FACT_MERGE_SIMILARITY, FACT_ROLE, FactExtractor, type ExtractionResult, parseFacts } from './fact-extractor';
export { LlmAgent, type LlmAgentConfig, LlmAgentConfigSchema } from './llm-agent';
export { checkDeployment, contextMessages, tracedChat } from './llm-call';
export { consumeRoutedStream, routedStream } from './routed-stream';
export { type FailoverEvent, type RunEvents, type StepEnded, type StepEvent, type StepStarted, withoutText } from './run-events';
export { type AgentInfo, AgentInfoSchema, AgentRegistry, type AgentRegistryOptions, createDefaultRegistry } from './registry';
export { AgentTeam, type RunOptions, type TeamDeps, type TeamOptions, type TeamResult } from './team';
export { TeamCatalog, loadTeams } from './team-catalog';
export { type TeamAgentConfig, type TeamConfig, type TeamConfigInput, TeamConfigSchema, loadTeamConfig, parseTeamConfig } from './team-config';
export { type StepDetails, TraceRecorder } from './trace';
export type { AgentContext, AgentMessage, AgentReply, HandledFailure, TeamMember, TeamView, TraceAction, TraceStep } from './types';
