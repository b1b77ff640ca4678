/**
 * Cloud prices as data, to say what a home answer would have cost in the cloud. USD per million
 * tokens, the providers' public list prices when this table was written; a deployment replaces or
 * extends it with HEARTH_PRICES (JSON, same shape). A model matches its own id, else the longest
 * listed prefix (so dated snapshots such as `gpt-4o-mini-2024-07-18` price as `gpt-4o-mini`).
 */
import { z } from "zod";

export const priceSchema = z.object({ input: z.number().nonnegative(), output: z.number().nonnegative() }).strict();
export const priceTableSchema = z.record(z.string().min(1), priceSchema);
export type Price = z.infer<typeof priceSchema>;
export type PriceTable = z.infer<typeof priceTableSchema>;

export const DEFAULT_PRICES: PriceTable = {
  "openai/gpt-4o-mini": { input: 0.15, output: 0.6 },
  "openai/gpt-4o": { input: 2.5, output: 10 },
  "openai/gpt-4.1-nano": { input: 0.1, output: 0.4 },
  "openai/gpt-4.1-mini": { input: 0.4, output: 1.6 },
  "openai/gpt-4.1": { input: 2, output: 8 },
  "openai/o3-mini": { input: 1.1, output: 4.4 },
  "openai/o4-mini": { input: 1.1, output: 4.4 },
  "anthropic/claude-3-5-haiku": { input: 0.8, output: 4 },
  "anthropic/claude-haiku-4-5": { input: 1, output: 5 },
  "anthropic/claude-sonnet-4": { input: 3, output: 15 },
  "anthropic/claude-opus-4": { input: 15, output: 75 },
  "anthropic/claude-opus-4-5": { input: 5, output: 25 },
  // Embeddings bill their input only.
  "openai/text-embedding-3-small": { input: 0.02, output: 0 },
  "openai/text-embedding-3-large": { input: 0.13, output: 0 },
  "openai/text-embedding-ada-002": { input: 0.1, output: 0 },
};

export function priceOf(table: PriceTable, targetId: string): Price | undefined {
  const exact = table[targetId];
  if (exact) return exact;
  let best: string | undefined;
  for (const key of Object.keys(table)) if (targetId.startsWith(key) && key.length > (best?.length ?? 0)) best = key;
  return best ? table[best] : undefined;
}

/** USD for these tokens at this target's price, or undefined when it has none. */
export function costOf(table: PriceTable, targetId: string, promptTokens: number, completionTokens: number): number | undefined {
  const p = priceOf(table, targetId);
  return p ? (promptTokens * p.input + completionTokens * p.output) / 1e6 : undefined;
}
