import { it } from "vitest";
import { startFakeOllama } from "../fakes/ollama.js";
import { startFakeOpenAI } from "../fakes/openai.js";
import { postChat, readUntil } from "../support/chat.js";
import { killTree } from "../support/process-tree.js";
import { startSidecar } from "../support/sidecar.js";
import { startWorker } from "../support/zz-debug-wrangler.js";

it("scratch", async () => {
  const openai = await startFakeOpenAI();
  const ollama = await startFakeOllama({ models: [{ name: "echo", chunkDelayMs: 200 }] });
  const worker = await startWorker({ main: process.env.MAIN, vars: { OPENAI_API_KEY: "test-openai-key", OPENAI_BASE_URL: `${openai.url}/v1`, HEARTH_AUTO_TARGETS: "openai/gpt-4o-mini", HEARTH_LOG_LEVEL: "debug" } });
  const u = await worker.createUser("x");
  const sc = await startSidecar({ workerUrl: worker.url, token: u.sidecarToken, apiKey: u.apiKey, ollama: ollama.url, args: ["--log-level", "debug"] });
  try {
    const abort = new AbortController();
    const r = await postChat(worker.url, u.apiKey, { model: "auto", stream: true, messages: [{ role: "user", content: "go on ".repeat(20) }] }, abort.signal);
    console.error("target", r.headers.get("x-hearth-target"));
    const { text } = await readUntil(r, (t) => t.includes("Echo"));
    console.error("got", text.length, "ABORTING");
    abort.abort();
    await new Promise((res) => setTimeout(res, 8000));
    console.error("chats", ollama.requests.filter((q) => q.path === "/api/chat").map((q) => q.aborted));
    console.error(sc.output());
  } finally {
    await sc.stop("SIGTERM", 3000);
    if (sc.child.pid) killTree(sc.child.pid);
    await worker.stop();
    await openai.close();
    await ollama.close();
  }
}, 60_000);
