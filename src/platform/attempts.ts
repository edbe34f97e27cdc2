// Failed attempts counted per key (a sign-in address's blind index), in memory and per instance like the rate
// limits: `max` failures within `windowMs` lock the key for `lockMs`. The map holds at most `capacity` keys, oldest
// dropped first, so a script cycling through made-up keys cannot grow it without end.

export type AttemptLimits = { max: number; windowMs: number; lockMs: number; capacity: number };

type Entry = { failures: number; since: number; lockedUntil: number };

export function attemptCounter(limits: AttemptLimits) {
  const entries = new Map<string, Entry>();
  return {
    locked(key: string, now: Date): boolean {
      return (entries.get(key)?.lockedUntil ?? 0) > now.getTime();
    },
    failed(key: string, now: Date): void {
      const at = now.getTime();
      const previous = entries.get(key);
      const entry = previous && at - previous.since <= limits.windowMs ? previous : { failures: 0, since: at, lockedUntil: 0 };
      entry.failures++;
      if (entry.failures >= limits.max) Object.assign(entry, { failures: 0, since: at, lockedUntil: at + limits.lockMs });
      // Re-inserted, so the map's order is the order of last use.
      entries.delete(key);
      entries.set(key, entry);
      if (entries.size > limits.capacity) entries.delete(entries.keys().next().value!);
    },
    succeeded(key: string): void {
      entries.delete(key);
    },
  };
}
