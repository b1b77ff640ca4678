/**
 * Home's opener with its answers checked (source.ts): the executor sees a failed check as one more
 * way an attempt fails — kind `invalid_response`, reason `invalid_answer`, the check named — and moves
 * on to the next target as for any other failure.
 */
import type { AttemptFailure } from "@hearth/shared";
import type { Opener } from "../../execute/opener.js";
import { InvalidAnswer, checkedSource, type CheckedOptions } from "./source.js";

export function invalidAnswerFailure(err: InvalidAnswer): AttemptFailure {
  return { kind: "invalid_response", reason: "invalid_answer", check: err.failure.check, contacted: true, message: err.message };
}

export function checkedOpener(inner: Opener, o: CheckedOptions): Opener {
  return {
    target: inner.target,
    classify: (err) => (err instanceof InvalidAnswer ? invalidAnswerFailure(err) : inner.classify(err)),
    async open(opts) {
      const stream = await inner.open(opts);
      // A continuation is another answer's rest: its form was that answer's to check.
      return opts.prefix === undefined ? checkedSource(stream, o) : stream;
    },
  };
}
