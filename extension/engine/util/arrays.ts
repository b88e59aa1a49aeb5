// Array helpers that work for any length. A spread into a call (Math.max(...xs), out.push(...xs))
// puts every element on the stack and throws "Maximum call stack size exceeded" past ~100k
// elements, so unbounded arrays go through these loops instead.

/** The largest of `xs` and `floor` (floor when xs is empty). */
export function maxOf(xs: Iterable<number>, floor = -Infinity): number {
  let m = floor;
  for (const x of xs) if (x > m) m = x;
  return m;
}

/** The smallest of `xs` and `ceiling` (ceiling when xs is empty). */
export function minOf(xs: Iterable<number>, ceiling = Infinity): number {
  let m = ceiling;
  for (const x of xs) if (x < m) m = x;
  return m;
}

/** Append every item of `items` to `out`; returns `out`. */
export function pushAll<T>(out: T[], items: Iterable<T>): T[] {
  for (const x of items) out.push(x);
  return out;
}
