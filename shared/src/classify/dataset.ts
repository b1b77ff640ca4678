/**
 * The hand-written labelled prompts in test/data/prompts.jsonl (one training source among those in
 * SOURCES.md). Parsing is pure (the caller reads the file), so scripts, the bench and the tests share it.
 */
import { z } from "zod";
import { chatMessageSchema, type ChatMessage } from "../openai/request.js";
import { TASK_KINDS, type TaskKind } from "./kinds.js";

const lineSchema = z.object({ id: z.string().min(1), kind: z.enum(TASK_KINDS), messages: z.array(chatMessageSchema).min(1) });

export interface LabelledPrompt {
  id: string;
  kind: TaskKind;
  messages: ChatMessage[];
}

export function parsePrompts(jsonl: string): LabelledPrompt[] {
  const out: LabelledPrompt[] = [];
  for (const [i, line] of jsonl.split("\n").entries()) {
    if (!line.trim()) continue;
    const parsed = lineSchema.safeParse(JSON.parse(line));
    if (!parsed.success) throw new Error(`prompts.jsonl line ${i + 1}: ${parsed.error.message}`);
    out.push(parsed.data);
  }
  return out;
}
