import type { Logger } from "../log.js";
import type { Principal } from "../db/users.js";
import type { ErrorFormat } from "../pipeline/dialect.js";

/** Hono's typing for this app: the Worker env and what middleware puts on the context. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    log: Logger;
    principal: Principal;
    /** The rate limiter's verdict on this request (true: within the rate), asked on arrival. */
    admission: Promise<boolean>;
    /** The shape errors take on this route (set by errorFormat()); OpenAI's when unset. */
    errorFormat: ErrorFormat;
  };
}
