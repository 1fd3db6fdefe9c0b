// The fuzz run's tool that needs approval (test/fuzz/schemathesis.ts): a run that calls it stops
// with a 202, and its runId is what schemathesis resumes on POST /v1/teams/{teamId}/runs/{runId}/approval.
import type { FunctionTool } from '../../runtime/src/agents/tools/toolset';

export const tools: FunctionTool[] = [
  {
    name: 'transfer_money',
    description: 'Transfers money to an account',
    parameters: { type: 'object', properties: { account: { type: 'string' } }, required: ['account'] },
    requiresApproval: true,
    handler: (args) => `transferred to ${String(args.account)}`,
  },
];
