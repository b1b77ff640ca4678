// Vite, and so vitest, imports any file as a string with the `?raw` suffix. The tests read
// test/data/prompts.jsonl this way: shared/ is typed without Node, so `node:fs` is not available.
declare module "*?raw" {
  const text: string;
  export default text;
}
