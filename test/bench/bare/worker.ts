/**
 * The bare tunnel: the least any Worker → Durable Object → WebSocket → home-process design can cost
 * on this runtime, for `pnpm bench:tunnel` to measure Hearth against. No auth, parsing, planning,
 * protocol validation, stats or fallback: the Worker hands the body to the object, the object sends
 * it down the (hibernatable) socket and streams back, untouched, the bytes the process sends up.
 * Like Hearth it answers only once the first bytes are there (the issue asks that failing over stay
 * invisible until then, so no design can send its headers earlier).
 *
 * Socket messages, both ways: `<id>\n<payload>`. Up, an empty payload ends the stream.
 */
import { DurableObject } from "cloudflare:workers";

const encoder = new TextEncoder();

export class BareHub extends DurableObject {
  readonly #open = new Map<string, ReadableStreamDefaultController<Uint8Array>>();

  override async fetch(): Promise<Response> {
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    return new Response(null, { status: 101, webSocket: client });
  }

  override webSocketMessage(_ws: WebSocket, message: string | ArrayBuffer): void {
    if (typeof message !== "string") return;
    const nl = message.indexOf("\n");
    const id = message.slice(0, nl);
    const stream = this.#open.get(id);
    if (!stream) return;
    if (nl === message.length - 1) {
      this.#open.delete(id);
      stream.close();
    } else stream.enqueue(encoder.encode(message.slice(nl + 1)));
  }

  open(body: string): ReadableStream<Uint8Array> {
    const id = crypto.randomUUID();
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#open.set(id, controller);
        this.ctx.getWebSockets()[0]?.send(`${id}\n${body}`);
      },
      cancel: () => void this.#open.delete(id),
    });
  }
}

export default {
  async fetch(request: Request, env: { HUB: DurableObjectNamespace<BareHub> }): Promise<Response> {
    const hub = env.HUB.get(env.HUB.idFromName("bench"));
    if (new URL(request.url).pathname === "/connect") return hub.fetch(request);
    if (new URL(request.url).pathname === "/healthz") return new Response("ok");
    const reader = (await hub.open(await request.text())).getReader();
    const first = await reader.read();
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        if (first.value) controller.enqueue(first.value);
        if (first.done) controller.close();
      },
      pull: async (controller) => {
        const next = await reader.read();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  },
};
