/**
 * One request's life, for every API: decode (the dialect), plan, admit, run the plan, answer whole or
 * as a stream, record. A streaming client's response is held until the first content arrives, so a
 * failing target is replaced invisibly; after that the stream is committed. A non-streaming client
 * sees nothing until the whole answer is in: an answer that breaks or stalls on the way is dropped
 * and the next target answers from scratch.
 */
import { planRequest } from "../routing/plan.js";
import type { RequestScope } from "../scope.js";
import { RawJson, type Decoded, type Dialect } from "./dialect.js";
import { startRun } from "./run.js";
import { rawAnswerStream } from "./raw-stream.js";
import { answerStream } from "./stream.js";
import { wholeAnswer } from "./whole.js";

export async function serve<D extends Decoded>(scope: RequestScope, dialect: Dialect<D>): Promise<Response> {
  const d = await dialect.decode(scope);
  // A request only one provider can take never pre-starts home.
  const planned = await planRequest(scope, d.chat, { open: d.only === undefined, clientModel: d.clientModel, ...(d.forceKind ? { forceKind: d.forceKind } : {}) });
  // No target is contacted before the rate limiter has said yes.
  await scope.admitted();
  const { run, idleMs, answered, ended, failed, headers, streamed } = startRun(scope, planned, d, dialect.begun?.bind(dialect));

  if (!d.stream) {
    const whole = await wholeAnswer(run).catch(failed);
    answered(whole.commit.target.id, whole.answer.usage);
    const body = await dialect.whole(whole, d, scope);
    const text = body instanceof RawJson ? body.text : JSON.stringify(body);
    return new Response(text, { headers: { "content-type": "application/json", ...headers(whole.commit.target.id) } });
  }

  const commit = await run.next().catch(failed);
  if (!commit) return failed(run.exhausted());
  const encoder = dialect.encoder(d, scope);
  const continueOnBreak = dialect.continues?.(d, scope) ?? false;
  // A target that speaks the client's API is carried as it came (raw-stream.ts); any other is encoded.
  const { passthrough } = commit;
  const { raw } = encoder;
  const body =
    passthrough && raw && !continueOnBreak
      ? rawAnswerStream({ run, commit, take: passthrough, encoder, watch: raw(), idleMs, log: scope.log, onEnd: ended })
      : answerStream({ run, commit, encoder, continueOnBreak, log: scope.log, onEnd: ended });
  return streamed(body, commit.target.id);
}
