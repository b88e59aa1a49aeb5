// Counts in words: "1 frame", "2 frames", "1,024 connections".

/** `n word` with an s unless n is 1 (or the given plural form). */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? word : many}`;
}
