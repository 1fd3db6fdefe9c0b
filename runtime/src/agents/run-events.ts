/**
 * What a run tells as it happens, for a caller that shows it live (the HTTP route's server-sent
 * events): steps as they start and end, the reply's text as the model writes it, and a model
 * deployment handing over to another mid-answer. Plain callbacks: an agent run never waits on
 * its listener, and one that throws is the listener's bug, not the run's.
 */
import type { LlmErrorKind } from '../llm/types';
import type { TraceAction, TraceStep } from './trace';

/** A step began: what is known up front (for `llm-call`, the deployment asked for). */
export interface StepStarted {
  readonly phase: 'start';
  /** Pairs the start with its end; steps are numbered in the order they started, from 0. */
  readonly id: number;
  readonly agent: string;
  readonly action: TraceAction;
  readonly detail?: string;
  readonly deployment?: string;
  readonly startedAt: string;
}

/** A step ended: the step as the trace records it, and whether it failed. */
export type StepEnded = { readonly phase: 'end'; readonly id: number; readonly outcome: 'ok' | 'error' } & TraceStep;

export type StepEvent = StepStarted | StepEnded;

/** The deployment writing the reply failed part-way and `to` continues it (no text is sent twice). */
export interface FailoverEvent {
  readonly agent: string;
  readonly from: string;
  readonly to: string;
  readonly reason: LlmErrorKind;
  /** Characters of the reply already sent when `from` failed. */
  readonly sentChars: number;
}

export interface RunEvents {
  onStep?(event: StepEvent): void;
  /**
   * The reply's text, in order, as it is written. Only the model call whose text becomes the
   * reply streams: a coordinator's routing calls and a member whose answer goes back to a model
   * do not (their context carries no `onText`).
   */
  onText?(text: string): void;
  onFailover?(event: FailoverEvent): void;
}

/** `events` for work whose text is not the reply: steps and failovers still told, text not. */
export function withoutText(events: RunEvents | undefined): RunEvents | undefined {
  if (events?.onText === undefined) return events;
  return { onStep: events.onStep, onFailover: events.onFailover };
}
