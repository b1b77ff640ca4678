/**
 * Folds an answer's chunks into one chat completion, as they arrive: the non-streaming client's body,
 * and the text so far when a stream must be continued elsewhere.
 */
import type { ChatCompletion, Chunk } from "./chunks.js";

type ToolCall = { id: string; type: "function"; function: { name: string; arguments: string } };

export class CompletionBuilder {
  id = "";
  model = "";
  created = 0;
  /** The answer's text so far. */
  text = "";
  refusal = "";
  finish: ChatCompletion.Choice["finish_reason"] | undefined;
  usage: ChatCompletion["usage"];
  systemFingerprint: string | undefined;
  readonly calls: ToolCall[] = [];

  add(c: Chunk): void {
    if (!this.id) ({ id: this.id, model: this.model, created: this.created } = c);
    if (c.system_fingerprint) this.systemFingerprint = c.system_fingerprint;
    if (c.usage) this.usage = c.usage;
    const choice = c.choices[0];
    if (!choice) return;
    const d = choice.delta;
    if (d.content) this.text += d.content;
    if (d.refusal) this.refusal += d.refusal;
    for (const t of d.tool_calls ?? []) {
      const call = (this.calls[t.index] ??= { id: t.id ?? "", type: "function", function: { name: "", arguments: "" } });
      if (t.id) call.id = t.id;
      if (t.function?.name) call.function.name = t.function.name;
      call.function.arguments += t.function?.arguments ?? "";
    }
    if (choice.finish_reason) this.finish = choice.finish_reason;
  }

  /** A finish reason arrived: the answer is whole. */
  get finished(): boolean {
    return this.finish !== undefined;
  }

  build(): ChatCompletion {
    const calls = this.calls.filter(Boolean);
    return {
      id: this.id,
      object: "chat.completion",
      created: this.created,
      model: this.model,
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: calls.length > 0 && this.text === "" ? null : this.text,
            refusal: this.refusal || null,
            ...(calls.length > 0 ? { tool_calls: calls } : {}),
          },
          finish_reason: this.finish ?? "stop",
          logprobs: null,
        },
      ],
      ...(this.usage ? { usage: this.usage } : {}),
      ...(this.systemFingerprint ? { system_fingerprint: this.systemFingerprint } : {}),
    };
  }
}
