/**
 * The bench's `lean` variant: the cheapest design that still makes every request end — a first-byte,
 * a first-content, an idle and a total deadline — with none of Hearth's code (no auth, planning,
 * retries, stats). What it costs above the pass-through floor no gateway that enforces deadlines can
 * avoid here; what Hearth costs above it is Hearth's own. Beside it, `bare` (bare-gateway.ts) keeps the
 * old design's floor visible: every answer streamed and read chunk by chunk in JavaScript.
 *
 * Non-streaming client: the upstream is asked for a whole answer and fetched whole (`text()`: one
 * native read, no JavaScript per chunk) under a first-byte deadline (until the headers) and the total
 * deadline; its usage is read from the body (a gateway must record it); the body goes back as it came.
 *
 * Streaming client: the upstream streams (with usage at its end); the response waits for the first
 * content (so a gateway could still fail over), then carries the rest. The carrying technique is
 * `LEAN_STREAM`, so the bench can measure each in the same harness:
 *   tee       (default) `body.tee()`: one branch goes to the client untouched, natively; the other is
 *             read in JavaScript only to see progress (first content, idle clock, the tail's usage),
 *             lazily: a BYOB read at most every 100 ms takes whatever arrived meanwhile
 *   tee-eager the same, the watcher's branch read chunk by chunk as it comes (a default reader)
 *   ts        a JavaScript TransformStream: a callback per chunk, chunks enqueued again
 *   reader    a JavaScript ReadableStream pulling from the upstream's reader (bare's shape, no parsing)
 *   identity  a JavaScript read loop writing into an IdentityTransformStream (a native readable out)
 *   pipe      JavaScript reads until the first content, then the runtime pipes the rest natively
 *             (pipeTo): no JavaScript per chunk, but no idle deadline either — only the total one.
 *             The reference for what carrying chunks natively costs.
 * The deadlines are one timer per request, re-armed lazily: a read only notes the time.
 * When the client leaves (request.signal, `enable_request_signal`), the upstream is aborted.
 */
interface Env {
  OPENAI_BASE_URL: string;
  LEAN_STREAM?: string;
  /** "1": log how a stream was read (reads, bytes). */
  LEAN_DEBUG?: string;
}

/** Generous: the bench never reaches them; they are here to be enforced, not to fire. */
const DEADLINES = { firstByteMs: 30_000, firstContentMs: 30_000, idleMs: 30_000, totalMs: 300_000 };
const encoder = new TextEncoder();
const CONTENT = encoder.encode('"content":"');
const STALLED = encoder.encode('data: {"error":{"code":"stream_interrupted"}}\n\n');

/**
 * One timer per request over the deadlines: before the first content, the first-byte or
 * first-content deadline; after it, the idle one; always the total. `progress()` is all a read pays.
 */
class Watchdog {
  readonly controller = new AbortController();
  readonly #start = Date.now();
  #last = this.#start;
  #phase: "headers" | "content" | "streaming" = "headers";
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(client: AbortSignal) {
    client.addEventListener("abort", () => this.stop("client_closed"), { once: true });
    this.#arm(DEADLINES.firstByteMs);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  headers(): void {
    this.#phase = "content";
  }

  content(): void {
    this.#phase = "streaming";
    this.#last = Date.now();
  }

  progress(): void {
    this.#last = Date.now();
  }

  stop(reason?: string): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (reason && !this.controller.signal.aborted) this.controller.abort(new Error(reason));
  }

  #due(): number {
    const total = this.#start + DEADLINES.totalMs;
    if (this.#phase === "headers") return Math.min(total, this.#start + DEADLINES.firstByteMs);
    if (this.#phase === "content") return Math.min(total, this.#start + DEADLINES.firstContentMs);
    return Math.min(total, this.#last + DEADLINES.idleMs);
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => {
      const left = this.#due() - Date.now();
      if (left <= 0) this.stop(`deadline (${this.#phase})`);
      else this.#arm(left);
    }, ms);
  }
}

/** What the tee watchers read so far (GET /healthz?debug shows it). */
const watched = { requests: 0, reads: 0 };

/** Does this read carry answer text? A byte search for `"content":"` followed by anything but `"`. */
function hasContent(bytes: Uint8Array): boolean {
  const first = CONTENT[0];
  outer: for (let i = bytes.indexOf(first ?? 0); i >= 0 && i + CONTENT.length < bytes.length; i = bytes.indexOf(first ?? 0, i + 1)) {
    for (let k = 1; k < CONTENT.length; k++) if (bytes[i + k] !== CONTENT[k]) continue outer;
    if (bytes[i + CONTENT.length] !== 0x22) return true;
  }
  return false;
}

/** The stream's last two reads: its usage event and [DONE] may arrive apart. */
class Tail {
  before: Uint8Array = new Uint8Array();
  last: Uint8Array = new Uint8Array();
  push(bytes: Uint8Array): void {
    this.before = this.last;
    this.last = bytes;
  }
}

/** Usage from the stream's tail (the last event before [DONE] carries it): what a gateway records. */
function usageOf(tail: Tail): unknown {
  const text = new TextDecoder().decode(tail.before) + new TextDecoder().decode(tail.last);
  const at = text.lastIndexOf('"usage":{');
  return at < 0 ? undefined : text.slice(at + 8, text.indexOf("}", at) + 1);
}

/** Reads until the first content; returns what was read (to send first) and the reader, still locked. */
async function untilContent(body: ReadableStream<Uint8Array>, dog: Watchdog): Promise<{ head: Uint8Array[]; reader: ReadableStreamDefaultReader<Uint8Array> } | undefined> {
  const reader = body.getReader();
  const head: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return undefined;
    head.push(value);
    if (hasContent(value)) {
      dog.content();
      return { head, reader };
    }
  }
}

const SSE = { headers: { "content-type": "text/event-stream" } };

function noContent(dog: Watchdog): Response {
  dog.stop();
  return new Response("upstream ended before any content", { status: 502 });
}

/**
 * How the tee watcher reads. `lazy` (the default technique): a BYOB reader into one 64 KiB buffer,
 * at most once per WATCH_EVERY_MS — a read then takes everything queued since the last one (measured:
 * ~5 reads for a 1,000-chunk answer instead of ~1,750). A default reader does not coalesce: it returns
 * one queued chunk per read however long it waited. `eager`: a default reader as fast as chunks come
 * (JavaScript wakes per chunk, to show what that costs).
 */
type Watch = "lazy" | "eager";
const WATCH_EVERY_MS = 100;
const WATCH_BUFFER = 65_536;

/**
 * tee: the client's branch is never touched by JavaScript; the other is read for the first content,
 * the idle clock and the tail's usage. The response waits for the first content, read from the
 * watcher's branch (the client's branch holds the same bytes until then).
 */
async function viaTee(body: ReadableStream<Uint8Array>, dog: Watchdog, ctx: ExecutionContext, watch: Watch, debug: boolean): Promise<Response> {
  const [client, watcher] = body.tee();
  const reader = watcher.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return noContent(dog);
    if (hasContent(value)) break;
  }
  dog.content();
  reader.releaseLock();
  ctx.waitUntil(
    watchRest(watcher, dog, watch, debug)
      .catch((err: unknown) => {
        if (debug) console.log(`tee watcher failed: ${String(err)}`);
      })
      .finally(() => dog.stop()),
  );
  return new Response(client, SSE);
}

async function watchRest(stream: ReadableStream<Uint8Array>, dog: Watchdog, watch: Watch, debug: boolean): Promise<void> {
  const tail = new Tail();
  let reads = 0;
  const next = watch === "lazy" ? lazyReads(stream) : eagerReads(stream);
  for (let value = await next(); value; value = await next()) {
    reads++;
    dog.progress();
    tail.push(value);
  }
  usageOf(tail);
  watched.requests++;
  watched.reads += reads;
  if (debug) console.log(`tee watcher: ${reads} reads`);
}

function eagerReads(stream: ReadableStream<Uint8Array>): () => Promise<Uint8Array | undefined> {
  const reader = stream.getReader();
  return async () => (await reader.read()).value;
}

/** Reads at most once per WATCH_EVERY_MS (at once again when a read filled the buffer: more is queued). */
function lazyReads(stream: ReadableStream<Uint8Array>): () => Promise<Uint8Array | undefined> {
  const reader = stream.getReader({ mode: "byob" });
  let buffer = new Uint8Array(WATCH_BUFFER);
  let full = false;
  return async () => {
    if (!full) await new Promise((r) => setTimeout(r, WATCH_EVERY_MS));
    const { done, value } = await reader.read(buffer);
    if (done || !value) return undefined;
    full = value.byteLength === WATCH_BUFFER;
    // The buffer comes back with the read (transferred): the next read reuses it, so the caller gets a copy.
    buffer = new Uint8Array(value.buffer);
    return value.slice();
  };
}

/** ts: a JavaScript TransformStream, one callback per chunk. */
async function viaTransform(body: ReadableStream<Uint8Array>, dog: Watchdog): Promise<Response> {
  const start = await untilContent(body, dog);
  if (!start) return noContent(dog);
  start.reader.releaseLock();
  const tail = new Tail();
  const out = body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      start(c) {
        for (const b of start.head) c.enqueue(b);
      },
      transform(chunk, c) {
        dog.progress();
        tail.push(chunk);
        c.enqueue(chunk);
      },
      flush() {
        usageOf(tail);
        dog.stop();
      },
    }),
    { signal: dog.signal },
  );
  return new Response(out, SSE);
}

/** reader: a JavaScript ReadableStream that pulls each chunk from the upstream's reader. */
async function viaReader(body: ReadableStream<Uint8Array>, dog: Watchdog): Promise<Response> {
  const start = await untilContent(body, dog);
  if (!start) return noContent(dog);
  const { reader } = start;
  const tail = new Tail();
  const out = new ReadableStream<Uint8Array>({
    start(c) {
      for (const b of start.head) c.enqueue(b);
    },
    async pull(c) {
      try {
        const { done, value } = await reader.read();
        if (!done) {
          dog.progress();
          tail.push(value);
          return c.enqueue(value);
        }
        usageOf(tail);
      } catch {
        c.enqueue(STALLED);
      }
      dog.stop();
      c.close();
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return new Response(out, SSE);
}

/** identity: a JavaScript read loop writing into a native IdentityTransformStream. */
async function viaIdentity(body: ReadableStream<Uint8Array>, dog: Watchdog, ctx: ExecutionContext): Promise<Response> {
  const start = await untilContent(body, dog);
  if (!start) return noContent(dog);
  const { readable, writable } = new IdentityTransformStream();
  const writer = writable.getWriter();
  ctx.waitUntil(
    (async () => {
      for (const b of start.head) await writer.write(b);
      const tail = new Tail();
      try {
        for (;;) {
          const { done, value } = await start.reader.read();
          if (done) break;
          dog.progress();
          tail.push(value);
          await writer.write(value);
        }
        usageOf(tail);
      } catch {
        await writer.write(STALLED);
      }
      dog.stop();
      await writer.close();
    })().catch(() => undefined),
  );
  return new Response(readable, SSE);
}

/** pipe: JavaScript up to the first content, then the runtime pipes the rest (no idle deadline). */
async function viaPipe(body: ReadableStream<Uint8Array>, dog: Watchdog, ctx: ExecutionContext): Promise<Response> {
  const start = await untilContent(body, dog);
  if (!start) return noContent(dog);
  start.reader.releaseLock();
  const { readable, writable } = new IdentityTransformStream();
  ctx.waitUntil(
    (async () => {
      const writer = writable.getWriter();
      for (const b of start.head) await writer.write(b);
      writer.releaseLock();
      await body.pipeTo(writable, { signal: dog.signal });
    })()
      .catch(() => undefined)
      .finally(() => dog.stop()),
  );
  return new Response(readable, SSE);
}

/** A whole answer for a non-streaming client: one native read under the first-byte and total deadlines. */
async function whole(upstream: Response, dog: Watchdog): Promise<Response> {
  const text = await upstream.text();
  dog.stop();
  if (upstream.ok) (JSON.parse(text) as { usage?: unknown }).usage;
  return new Response(text, { status: upstream.status, headers: { "content-type": "application/json" } });
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/healthz") return new Response(url.searchParams.has("debug") ? JSON.stringify(watched) : "ok");
    const body = (await request.json()) as { stream?: boolean };
    const dog = new Watchdog(request.signal);
    const debug = env.LEAN_DEBUG === "1";
    try {
      const upstream = await fetch(env.OPENAI_BASE_URL.replace(/\/v1$/, "") + url.pathname, {
        method: "POST",
        headers: { authorization: "Bearer test-openai-key", "content-type": "application/json" },
        body: JSON.stringify(body.stream ? { ...body, stream_options: { include_usage: true } } : body),
        signal: dog.signal,
      });
      dog.headers();
      if (!body.stream || !upstream.ok || !upstream.body) return await whole(upstream, dog);
      switch (env.LEAN_STREAM ?? "tee") {
        case "ts":
          return await viaTransform(upstream.body, dog);
        case "reader":
          return await viaReader(upstream.body, dog);
        case "identity":
          return await viaIdentity(upstream.body, dog, ctx);
        case "pipe":
          return await viaPipe(upstream.body, dog, ctx);
        case "tee-eager":
          return await viaTee(upstream.body, dog, ctx, "eager", debug);
        default:
          return await viaTee(upstream.body, dog, ctx, "lazy", debug);
      }
    } catch (err) {
      dog.stop();
      return Response.json({ error: { message: err instanceof Error ? err.message : String(err), code: "deadline" } }, { status: 504 });
    }
  },
};
