/**
 * Cloud models' context windows (tokens, prompt and answer together), as data: what the planner needs
 * to tell whether a long prompt fits a cloud target (`cloudOrder: "cheapest"`, the compaction default).
 * A model matches its own id, else the longest listed prefix (as prices.ts does), so dated snapshots
 * (`claude-sonnet-4-5-20250929`, `gpt-4.1-mini-2025-04-14`) take their family's window. A model not
 * listed has an unknown window and is assumed to fit.
 *
 * Sources (the providers' model pages when this table was written, 2026):
 * - OpenAI, platform.openai.com/docs/models/<model>: gpt-4o and gpt-4o-mini 128,000; the gpt-4.1
 *   family (gpt-4.1, -mini, -nano) 1,047,576; o3-mini and o4-mini 200,000.
 * - Anthropic, docs.anthropic.com/en/docs/about-claude/models/overview: every Claude 3.5, 4 and 4.5
 *   model 200,000. Sonnet 4 and 4.5 take 1M only with the `context-1m` beta header, which Hearth
 *   does not add, so 200,000 is what a request gets.
 */
export const CONTEXT_WINDOWS: Readonly<Record<string, number>> = {
  "openai/gpt-4o-mini": 128_000,
  "openai/gpt-4o": 128_000,
  "openai/gpt-4.1": 1_047_576,
  "openai/o3-mini": 200_000,
  "openai/o4-mini": 200_000,
  "anthropic/claude-3-5-haiku": 200_000,
  "anthropic/claude-3-7-sonnet": 200_000,
  "anthropic/claude-haiku-4": 200_000,
  "anthropic/claude-sonnet-4": 200_000,
  "anthropic/claude-opus-4": 200_000,
};

/** A cloud target's context window in tokens (`openai/gpt-4.1-mini`), or undefined when unknown. */
export function contextWindowOf(targetId: string, table: Readonly<Record<string, number>> = CONTEXT_WINDOWS): number | undefined {
  const exact = table[targetId];
  if (exact !== undefined) return exact;
  let best: string | undefined;
  for (const key of Object.keys(table)) if (targetId.startsWith(key) && key.length > (best?.length ?? 0)) best = key;
  return best ? table[best] : undefined;
}
