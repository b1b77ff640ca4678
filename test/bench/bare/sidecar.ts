/**
 * The bare tunnel's home process (see worker.ts): the sidecar's own Ollama backend behind a bare
 * WebSocket, answering each request with OpenAI-style SSE text. Run as its own process, like the real
 * sidecar, so the comparison pays the same process hops. Args: <worker url> <ollama url>.
 */
import WebSocket from "ws";
import type { ChatRequest } from "@hearth/shared";
import { createOllamaBackend } from "../../../sidecar/src/backends/ollama/index.js";
import { silentLogger } from "../../../sidecar/src/log.js";
import { Coalescer } from "../../../sidecar/src/serve/coalesce.js";

const [url, host] = process.argv.slice(2);
if (!url || !host) throw new Error("usage: sidecar.ts <worker url> <ollama url>");
const backend = createOllamaBackend({ host, log: silentLogger });
const ws = new WebSocket(`${url.replace(/^http/, "ws")}/connect`, { perMessageDeflate: false });

async function serve(id: string, body: ChatRequest): Promise<void> {
  // Coalesced as the sidecar does: the first text at once, the rest gathered.
  const out = new Coalescer((text) => ws.send(`${id}\ndata: ${JSON.stringify({ choices: [{ index: 0, delta: { content: text } }] })}\n\n`));
  for await (const ev of backend.generate(body.model, body, { signal: new AbortController().signal })) {
    if (ev.type === "text") out.push(ev.text);
  }
  out.flush();
  ws.send(`${id}\ndata: [DONE]\n\n`);
  ws.send(`${id}\n`);
}

ws.on("open", () => process.stdout.write("connected\n"));
ws.on("message", (data) => {
  const text = data.toString();
  const nl = text.indexOf("\n");
  void serve(text.slice(0, nl), JSON.parse(text.slice(nl + 1)) as ChatRequest);
});
process.on("SIGTERM", () => process.exit(0));
