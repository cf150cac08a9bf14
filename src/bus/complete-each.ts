import type { Subject } from 'rxjs';

/**
 * Completes every subscriber of `subject`, each as its own step of `attempt` (which catches and logs).
 * Subject.complete() stops at the first subscriber whose teardown throws, leaving the others open.
 */
export function completeEach<T>(subject: Subject<T>, step: string, attempt: (step: string, work: () => unknown) => void): void {
  attempt(step, () => subject.complete());
  // `observers` is deprecated, and the only way to reach the subscribers a throw skipped.
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- see the comment above: the only way to reach the subscribers a throw skipped
  for (const observer of subject.observers.splice(0)) attempt(step, () => observer.complete());
}
