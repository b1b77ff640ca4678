/**
 * Anthropic's own stream events → the Message they describe, for a non-streaming client served by
 * Anthropic (every attempt streams). Folded as the API documents it — and as its SDK's
 * `finalMessage()` does: message_start gives the message, content_block_start each block, deltas fill
 * them (text, tool input JSON, thinking and its signature, citations), message_delta the stop reason
 * and usage. Blocks Hearth does not know (server tool results, beta types) are kept as they started.
 */
type Json = Record<string, unknown>;

/** The events in SSE text Hearth wrote itself (`event: …\ndata: …\n\n`), parsed. */
function events(sse: string): Json[] {
  const out: Json[] = [];
  for (const block of sse.split("\n\n")) {
    const data = block.split("\n").find((l) => l.startsWith("data: "));
    if (data) out.push(JSON.parse(data.slice(6)) as Json);
  }
  return out;
}

export class MessageAccumulator {
  #message: Json | undefined;
  readonly #blocks: Json[] = [];
  readonly #json = new Map<number, string>();

  /** Adds the events of one batch's SSE text. */
  add(sse: string): void {
    for (const e of events(sse)) this.#event(e);
  }

  #event(e: Json): void {
    switch (e.type) {
      case "message_start":
        this.#message = { ...(e.message as Json) };
        return;
      case "content_block_start":
        this.#blocks[Number(e.index)] = { ...(e.content_block as Json) };
        return;
      case "content_block_delta":
        return this.#delta(Number(e.index), e.delta as Json);
      case "content_block_stop": {
        const i = Number(e.index);
        const partial = this.#json.get(i);
        const block = this.#blocks[i];
        if (partial !== undefined && block) block.input = partial === "" ? {} : (JSON.parse(partial) as unknown);
        return;
      }
      case "message_delta": {
        if (!this.#message) return;
        Object.assign(this.#message, e.delta as Json);
        this.#message.usage = { ...(this.#message.usage as Json), ...(e.usage as Json) };
        return;
      }
    }
  }

  #delta(i: number, d: Json): void {
    const block = this.#blocks[i];
    if (!block) return;
    if (d.type === "text_delta") block.text = String(block.text ?? "") + String(d.text ?? "");
    else if (d.type === "input_json_delta") this.#json.set(i, (this.#json.get(i) ?? "") + String(d.partial_json ?? ""));
    else if (d.type === "thinking_delta") block.thinking = String(block.thinking ?? "") + String(d.thinking ?? "");
    else if (d.type === "signature_delta") block.signature = d.signature;
    else if (d.type === "citations_delta") block.citations = [...((block.citations as unknown[]) ?? []), d.citation];
  }

  message(): Json {
    return { ...this.#message, content: this.#blocks.filter(Boolean) };
  }
}
