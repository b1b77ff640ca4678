/**
 * Typed errors with a code from one `as const` table. The code decides the HTTP status and the
 * OpenAI-style `type`; `side` separates the caller's mistakes from Hearth's or an upstream's trouble.
 */
export const ERROR_CODES = {
  missing_api_key: { status: 401, type: "authentication_error", side: "user" },
  invalid_api_key: { status: 401, type: "authentication_error", side: "user" },
  invalid_admin_token: { status: 401, type: "authentication_error", side: "user" },
  admin_disabled: { status: 403, type: "permission_error", side: "user" },
  /** A dashboard session cookie that is unknown, revoked with its key, or from a changed admin token. */
  invalid_session: { status: 401, type: "authentication_error", side: "user" },
  /** A dashboard session cookie past its expiry (the session is deleted). */
  session_expired: { status: 401, type: "authentication_error", side: "user" },
  /** A write made with a session cookie without the session's x-hearth-csrf header or from another origin. */
  csrf_failed: { status: 403, type: "permission_error", side: "user" },
  invalid_json: { status: 400, type: "invalid_request_error", side: "user" },
  invalid_request: { status: 400, type: "invalid_request_error", side: "user" },
  unsupported_parameter: { status: 400, type: "invalid_request_error", side: "user" },
  /** OpenAI's code for a prompt no allowed model has the context for. */
  context_length_exceeded: { status: 400, type: "invalid_request_error", side: "user" },
  model_not_found: { status: 404, type: "invalid_request_error", side: "user" },
  not_found: { status: 404, type: "invalid_request_error", side: "user" },
  body_too_large: { status: 413, type: "invalid_request_error", side: "user" },
  unsupported_media_type: { status: 415, type: "invalid_request_error", side: "user" },
  rate_limited: { status: 429, type: "rate_limit_error", side: "user" },
  /** The user's (or the deployment's) cloud budget is reached and the request needs the cloud. */
  budget_exceeded: { status: 429, type: "rate_limit_error", side: "user" },
  /** The budget keeps the request at home (policy budget.onExceeded: home_only) and home cannot answer it now. */
  budget_exceeded_home_unavailable: { status: 503, type: "service_unavailable", side: "user" },
  /** The sidecar's tunnel protocol version is one this Worker cannot speak; the message names what to upgrade. */
  sidecar_protocol_mismatch: { status: 426, type: "invalid_request_error", side: "user" },
  no_target_available: { status: 503, type: "service_unavailable", side: "system" },
  upstream_error: { status: 502, type: "upstream_error", side: "system" },
  upstream_timeout: { status: 504, type: "timeout_error", side: "system" },
  upstream_rate_limited: { status: 429, type: "rate_limit_error", side: "system" },
  stream_interrupted: { status: 502, type: "upstream_error", side: "system" },
  /**
   * Home's answer failed a check of its form (a broken tool call, JSON against the schema, a loop…),
   * could not be repaired exactly, and no other target could answer (local_only, a privacy pin, or
   * the others failed too). The message and the attempts name the check.
   */
  invalid_answer: { status: 502, type: "upstream_error", side: "system" },
  internal_error: { status: 500, type: "server_error", side: "system" },
  /** The client went away before the answer (nginx's 499): nobody reads it; it shows in logs and stats. */
  client_closed: { status: 499, type: "invalid_request_error", side: "user" },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** One line of "what happened to this target", carried in 5xx bodies and the trace header. */
export interface AttemptSummary {
  target: string;
  /**
   * `cancelled`: it lost a hedge race and was stopped. `broken`: it began answering, then broke or
   * stalled (the reason says which) — the next target took over, or the stream ended with an error.
   */
  outcome: "served" | "failed" | "skipped" | "cancelled" | "broken";
  reason: string;
  status?: number;
  ms?: number;
  /** Home, among models of several sizes: why this one (`easy`, `hard`, `memory`, `busy`; see LocalPick). */
  pick?: string;
  /** Home's answer failed this check (reason `invalid_answer`; see checks/types.ts). */
  check?: string;
  /** Home's answer was served after this exact repair (a call written as text made a tool call…). */
  repair?: string;
}

export interface HearthErrorOptions {
  /** The request field at fault, as `messages[0].content`. Default: none. */
  param?: string;
  /** What each target did, for errors where no target could serve. Default: none. */
  attempts?: AttemptSummary[];
  /** Seconds the client should wait before retrying (sets `retry-after`). Default: none. */
  retryAfterSeconds?: number;
  /** Overrides the status the code implies, e.g. to pass an upstream 4xx through. Default: the code's. */
  status?: number;
  cause?: unknown;
}

/** An error Hearth itself decided on. Its JSON body is marked `"hearth": true` so it is never taken for an upstream's. */
export class HearthError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly param: string | undefined;
  readonly attempts: AttemptSummary[] | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: HearthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "HearthError";
    this.code = code;
    this.status = options.status ?? ERROR_CODES[code].status;
    this.param = options.param;
    this.attempts = options.attempts;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get side(): "user" | "system" {
    return ERROR_CODES[this.code].side;
  }

  toJSON(): ErrorBody {
    return errorBody(this.code, this.message, this.param, this.attempts);
  }
}

export interface ErrorBody {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: ErrorCode;
    hearth: true;
    attempts?: AttemptSummary[];
  };
}

export function errorBody(
  code: ErrorCode,
  message: string,
  param?: string,
  attempts?: AttemptSummary[],
): ErrorBody {
  const error: ErrorBody["error"] = {
    message,
    type: ERROR_CODES[code].type,
    param: param ?? null,
    code,
    hearth: true,
  };
  if (attempts && attempts.length > 0) error.attempts = attempts;
  return { error };
}
