import { DEFAULT_RECONNECT, type ReconnectPolicy } from '../shared/connectOptions';

export function resolvePolicy(p?: Partial<ReconnectPolicy>): ReconnectPolicy {
  return { ...DEFAULT_RECONNECT, ...(p ?? {}) };
}

/**
 * Exponential backoff with jitter and a cap.
 * Delay for attempt n (1-based) is min(cap, initial * multiplier^(n-1)), of which a `jitter`
 * fraction is randomised downwards, so that many clients do not reconnect in lockstep.
 */
export function backoffDelay(policy: ReconnectPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * Math.pow(policy.multiplier, Math.max(0, attempt - 1)));
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(base * (1 - jitter * random()));
}

/** True when another attempt is allowed after `attempt` failed ones. */
export function mayRetry(policy: ReconnectPolicy, attempt: number): boolean {
  return policy.enabled && (policy.maxAttempts <= 0 || attempt <= policy.maxAttempts);
}
