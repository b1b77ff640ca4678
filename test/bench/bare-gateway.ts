/**
 * The bench's `bare` variant: the design's floor. An empty Worker that does only what issue 9's design
 * asks of any gateway built this way, with none of Hearth's code (no auth, validation, planning,
 * deadlines, retries or stats):
 *   - it asks the upstream for a stream, always, and reads it as it arrives;
 *   - a non-streaming client gets one JSON completion assembled from that stream;
 *   - a streaming client's response waits for the first content, then gets the events as they come,
 *     and an error event instead of `[DONE]` if the stream ends before a finish reason.
 * What it costs above the pass-through floor is the price of streaming the upstream and reading it in
 * JavaScript on this platform; what Hearth costs above it is Hearth's own.
 */
interface Chunk {
  id: string;
  created: number;
  model: string;
  choices: { delta: { content?: string; tool_calls?: unknown[] }; finish_reason: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
}

const encoder = new TextEncoder();

/** Splits SSE text into complete events' data, keeping the rest for the next read. */
function events(buf: string): { data: string[]; rest: string } {
  const data: string[] = [];
  let rest = buf;
  for (let i = rest.indexOf("\n\n"); i >= 0; i = rest.indexOf("\n\n")) {
    const event = rest.slice(0, i);
    rest = rest.slice(i + 2);
    if (event.startsWith("data: ")) data.push(event.slice(6));
  }
  return { data, rest };
}

const substantive = (c: Chunk) => c.choices.length === 0 || c.choices.some((ch) => !!ch.delta.content || !!ch.delta.tool_calls?.length || ch.finish_reason != null);

async function assemble(body: ReadableStream<Uint8Array>): Promise<Response> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  let text = "";
  let last: Chunk | undefined;
  let finish: string | null = null;
  let usage: Chunk["usage"];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const split = events(buf + decoder.decode(value, { stream: true }));
    buf = split.rest;
    for (const data of split.data) {
      if (data === "[DONE]") continue;
      const chunk = JSON.parse(data) as Chunk;
      last = chunk;
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (choice?.delta.content) text += choice.delta.content;
      if (choice?.finish_reason) finish = choice.finish_reason;
    }
  }
  return Response.json({
    id: last?.id,
    object: "chat.completion",
    created: last?.created,
    model: last?.model,
    choices: [{ index: 0, message: { role: "assistant", content: text, refusal: null }, finish_reason: finish, logprobs: null }],
    usage,
  });
}

async function relay(body: ReadableStream<Uint8Array>): Promise<Response> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  let finished = false;
  /** Reads until events are in hand; returns their SSE text, or undefined at the end. */
  const read = async (): Promise<string | undefined> => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return undefined;
      const split = events(buf + decoder.decode(value, { stream: true }));
      buf = split.rest;
      if (split.data.length === 0) continue;
      let out = "";
      for (const data of split.data) {
        if (data !== "[DONE]" && (JSON.parse(data) as Chunk).choices.some((c) => c.finish_reason != null)) finished = true;
        out += `data: ${data}\n\n`;
      }
      return out;
    }
  };
  // Hold the response until the first content, as the design requires.
  let head = "";
  for (;;) {
    const more = await read();
    if (more === undefined) return new Response("upstream ended early", { status: 502 });
    head += more;
    if (more.split("\n\n").some((e) => e.startsWith("data: {") && substantive(JSON.parse(e.slice(6)) as Chunk))) break;
  }
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(head));
    },
    async pull(controller) {
      const more = await read();
      if (more !== undefined) return controller.enqueue(encoder.encode(more));
      if (!finished) controller.enqueue(encoder.encode(`data: {"error":{"code":"stream_interrupted"}}\n\n`));
      controller.close();
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream" } });
}

export default {
  async fetch(request: Request, env: { OPENAI_BASE_URL: string }): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/healthz") return new Response("ok");
    const body = (await request.json()) as { stream?: boolean };
    const upstream = await fetch(env.OPENAI_BASE_URL.replace(/\/v1$/, "") + url.pathname, {
      method: "POST",
      headers: { authorization: "Bearer test-openai-key", "content-type": "application/json" },
      body: JSON.stringify({ ...body, stream: true, ...(body.stream ? {} : { stream_options: { include_usage: true } }) }),
    });
    if (!upstream.ok || !upstream.body) return new Response(upstream.body, upstream);
    return body.stream ? relay(upstream.body) : assemble(upstream.body);
  },
};
