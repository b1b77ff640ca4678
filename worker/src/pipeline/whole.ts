/**
 * A non-streaming client's answer: read whole before anything is sent, so one that breaks or stalls
 * on the way is dropped and the next target answers from scratch (the run decides which).
 */
import { StreamEndedEarly, type Commit } from "../execute/attempt.js";
import type { PlanRun } from "../execute/run.js";
import { bodyOf, nativeOf, type Chunk } from "../stream/chunks.js";
import { CompletionBuilder } from "../stream/answer.js";

export interface Whole {
  commit: Commit;
  /** The answer in OpenAI's chat shape. */
  answer: CompletionBuilder;
  /** The target's own events, when its batches kept them (Anthropic answering Anthropic's API). */
  native: string;
  /** The target's own JSON body, when the answer was fetched whole from a target that speaks the client's API. */
  body: string | undefined;
}

/** Reads a committed answer to its end; throws when it breaks, stalls or ends unfinished. */
async function readWhole(commit: Commit): Promise<Whole> {
  const answer = new CompletionBuilder();
  let native = "";
  let body: string | undefined;
  const take = (batch: Chunk[]) => {
    for (const chunk of batch) answer.add(chunk);
    native += nativeOf(batch) ?? "";
    body ??= bodyOf(batch);
  };
  for (const batch of commit.head) take(batch);
  for (let r = await commit.reader.next(); !r.done; r = await commit.reader.next()) take(r.value);
  if (!answer.finished) throw new StreamEndedEarly("the stream ended before the answer finished");
  commit.reader.finish();
  return { commit, answer, native, body };
}

/** The whole answer of the first target that gives one; a broken answer goes on to the next target. */
export async function wholeAnswer(run: PlanRun): Promise<Whole> {
  for (;;) {
    const commit = await run.next();
    if (!commit) throw run.exhausted();
    try {
      return await readWhole(commit);
    } catch (err) {
      run.broke(commit, err);
    }
  }
}
