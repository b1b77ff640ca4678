/** The routes that answer: each API is a dialect served by the one pipeline (pipeline/serve.ts). */
import type { Context } from "hono";
import { scopeOf } from "../http/scope.js";
import type { AppEnv } from "../http/types.js";
import type { Decoded, Dialect } from "../pipeline/dialect.js";
import { serve } from "../pipeline/serve.js";

export function answerRoute<D extends Decoded>(dialect: Dialect<D>) {
  return (c: Context<AppEnv>): Promise<Response> => serve(scopeOf(c), dialect);
}
