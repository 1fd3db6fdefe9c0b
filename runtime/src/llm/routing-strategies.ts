import type { RoutingStrategy } from '../contract';

/** What a strategy knows of a deployment it may pick. */
export interface RoutingCandidate {
  readonly name: string;
  readonly weight?: number;
  readonly rpm?: number;
  readonly tpm?: number;
}

export interface RoutingContext {
  /** Uniform in [0, 1), like Math.random (tests inject their own). */
  readonly random: () => number;
  /** Calls to the deployment this instance has in flight. */
  inFlight(deployment: string): number;
  /** Recent mean latency (time to first token for a stream when known); undefined before any call. */
  latencyMs(deployment: string, stream: boolean): number | undefined;
  /** latency-based-routing: deployments within (1 + buffer) × the lowest latency are equally good. */
  readonly lowestLatencyBuffer: number;
  readonly stream: boolean;
}

/** One of `candidates` (never empty) by `strategy`. */
export function chooseDeployment<C extends RoutingCandidate>(strategy: RoutingStrategy, candidates: readonly C[], context: RoutingContext): C {
  if (candidates.length === 1) return candidates[0];
  switch (strategy) {
    case 'simple-shuffle':
      return weightedShuffle(candidates, context.random);
    case 'least-busy': {
      const busy = candidates.map((c) => context.inFlight(c.name));
      const least = Math.min(...busy);
      return pick(candidates.filter((_, i) => busy[i] === least), context.random);
    }
    case 'latency-based-routing': {
      // Never measured counts as 0, so a new deployment is tried (LiteLLM's lowest_latency does the same).
      const latency = candidates.map((c) => context.latencyMs(c.name, context.stream) ?? 0);
      const lowest = Math.min(...latency);
      return pick(candidates.filter((_, i) => latency[i] <= lowest * (1 + context.lowestLatencyBuffer)), context.random);
    }
  }
}

/**
 * LiteLLM's simple_shuffle: weights from the first of `weight`, `rpm`, `tpm` that some
 * deployment sets (a deployment without it weighs 0), `random.choices` by them; equal chances
 * when none is set.
 */
function weightedShuffle<C extends RoutingCandidate>(candidates: readonly C[], random: () => number): C {
  for (const field of ['weight', 'rpm', 'tpm'] as const) {
    const weights = candidates.map((c) => c[field] ?? 0);
    const total = weights.reduce((a, b) => a + b, 0);
    if (total <= 0) continue;
    let r = random() * total;
    for (let i = 0; i < candidates.length; i++) {
      r -= weights[i];
      if (r < 0 && weights[i] > 0) return candidates[i];
    }
    // Rounding at the very top of the range: the last deployment with a weight.
    let last = weights.length - 1;
    while (weights[last] <= 0) last--;
    return candidates[last];
  }
  return pick(candidates, random);
}

function pick<C>(items: readonly C[], random: () => number): C {
  return items[Math.min(items.length - 1, Math.floor(random() * items.length))];
}

/** The last `size` latencies of each deployment, and its times to first token apart. */
export class LatencyWindow {
  private readonly calls = new Map<string, number[]>();
  private readonly firstTokens = new Map<string, number[]>();

  constructor(private readonly size: number) {}

  record(deployment: string, ms: number): void {
    this.push(this.calls, deployment, ms);
  }

  recordTimeToFirstToken(deployment: string, ms: number): void {
    this.push(this.firstTokens, deployment, ms);
  }

  /** A stream is ranked by time to first token when there is one (LiteLLM), else by whole-call latency. */
  meanMs(deployment: string, stream: boolean): number | undefined {
    const values = (stream ? this.firstTokens.get(deployment) : undefined) ?? this.calls.get(deployment);
    return values && values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : undefined;
  }

  private push(map: Map<string, number[]>, deployment: string, ms: number): void {
    const values = map.get(deployment) ?? [];
    values.push(ms);
    if (values.length > this.size) values.shift();
    map.set(deployment, values);
  }
}
