import { performance } from 'node:perf_hooks';
import type { Attempt } from '../llm/types';
import type { CallUsage } from './budget';
import { describeFailure } from './errors';
import type { StepEvent } from './run-events';
import { chatSpan, executeToolSpan, invokeAgentSpan, refusedToolSpan } from '../telemetry/spans';

export type TraceAction = 'delegate' | 'answer' | 'llm-call' | 'tool-call';

/** One thing an agent did while a team answered a message. */
export interface TraceStep {
  /** The agent that acted (for `delegate`, the one that delegated). */
  readonly agent: string;
  readonly action: TraceAction;
  /** Human-readable: the delegate's name and task, a finish reason, why a step failed… */
  readonly detail?: string;
  /** For `llm-call`: the deployment that answered, its provider and model, every attempt. */
  readonly deployment?: string;
  readonly provider?: string;
  readonly model?: string;
  readonly attempts?: readonly Attempt[];
  /** For `llm-call`: the tokens it used (and cost, when deployments are priced), as the run's budget counted them. */
  readonly usage?: CallUsage;
  /** For `tool-call`: the tool's name, as the model called it. */
  readonly tool?: string;
  /** ISO-8601 time the step started. */
  readonly startedAt: string;
  readonly durationMs: number;
}

/** The parts of a step an agent describes; the recorder adds who, what and when. */
export type StepDetails = Partial<Pick<TraceStep, 'detail' | 'deployment' | 'provider' | 'model' | 'attempts' | 'usage' | 'tool'>>;

/**
 * What a step starts with. `subject` is what it acts on (for `delegate` the member, for
 * `tool-call` the tool): it names the step's span (`invoke_agent {member}`, `execute_tool {tool}`)
 * and is not part of the recorded step.
 */
export type StepStart = StepDetails & { readonly subject?: string };

/**
 * The span of a step: `delegate` → `invoke_agent {member}`, `llm-call` → `chat {model}`,
 * `tool-call` → `execute_tool {tool}` (telemetry/spans.ts). Without a `subject`, the subject is
 * the tool for a tool call, else the detail's first word (`to <member>` for a delegation).
 */
function subjectOf(details: StepStart): string {
  return details.subject ?? details.tool ?? details.detail?.replace(/^to /, '').match(/^[^\s:(]+/)?.[0] ?? 'unknown';
}

function inStepSpan<T>(action: TraceAction, details: StepStart, run: () => Promise<T>): Promise<T> {
  switch (action) {
    case 'delegate':
      return invokeAgentSpan(subjectOf(details), run);
    case 'llm-call':
      return chatSpan(details.deployment, run);
    case 'tool-call':
      return executeToolSpan(subjectOf(details), run);
    default:
      return run();
  }
}

/**
 * Records the steps of one run, in the order they started: a delegation comes before the steps
 * its member took, which makes the trace read top-down like the run itself.
 */
export class TraceRecorder {
  // A slot is reserved when a step starts and filled when it ends, so nested steps (which end
  // first) still follow the step that contains them.
  private readonly slots: (TraceStep | undefined)[] = [];

  /**
   * @param clock wall-clock time for `startedAt`; durations use the monotonic clock.
   * @param onStep told of each step as it starts and as it ends (a live view of the run).
   */
  constructor(
    private readonly clock: () => Date = () => new Date(),
    private readonly onStep?: (event: StepEvent) => void,
  ) {}

  /**
   * Runs `run` as one step of `agent`. `details` are known up front; `fromResult` adds what the
   * result tells (the model that answered…), `fromError` what a failure tells (the attempts that
   * failed). A failed step is recorded with what went wrong in `detail`, then the error is
   * rethrown.
   */
  async step<T>(
    agent: string,
    action: TraceAction,
    run: () => Promise<T>,
    begin: StepStart = {},
    fromResult?: (result: T) => StepDetails,
    fromError?: (error: unknown) => StepDetails,
  ): Promise<T> {
    const { subject: _subject, ...details } = begin;
    const slot = this.slots.push(undefined) - 1;
    const startedAt = this.clock().toISOString();
    const start = performance.now();
    this.onStep?.({ phase: 'start', id: slot, agent, action, ...details, startedAt });
    const finish = (more: StepDetails, outcome: 'ok' | 'error') => {
      const step: TraceStep = { agent, action, ...details, ...more, startedAt, durationMs: Math.round((performance.now() - start) * 100) / 100 };
      this.slots[slot] = step;
      this.onStep?.({ phase: 'end', id: slot, outcome, ...step });
    };
    try {
      const result = await inStepSpan(action, begin, run);
      finish(fromResult?.(result) ?? {}, 'ok');
      return result;
    } catch (error) {
      // The trace goes back to the client with the reply (a member's failure no longer ends the
      // request), so it says what went wrong in words safe to show, not the error's own message.
      const why = `failed: ${describeFailure(error).message}`;
      finish({ ...fromError?.(error), detail: details.detail ? `${details.detail} (${why})` : why }, 'error');
      throw error;
    }
  }

  /** Records a step that takes no time of its own (an agent answering from what it knows). */
  record(agent: string, action: TraceAction, start: StepStart): void {
    const { subject: _subject, ...details } = start;
    // A tool call refused before it ran is still one the model made: its span says so.
    if (action === 'tool-call') refusedToolSpan(subjectOf(start));
    const step: TraceStep = { agent, action, ...details, startedAt: this.clock().toISOString(), durationMs: 0 };
    const id = this.slots.push(step) - 1;
    // Started and ended at once, but told as both so that every step reads the same to a listener.
    this.onStep?.({ phase: 'start', id, agent, action, ...details, startedAt: step.startedAt });
    this.onStep?.({ phase: 'end', id, outcome: 'ok', ...step });
  }

  /** The steps so far; a step still running is left out. */
  get steps(): TraceStep[] {
    return this.slots.filter((s): s is TraceStep => s !== undefined);
  }
}
