/** A cloud provider as a target: its transforms and SDK behind the Opener interface. */
import type { AttemptFailure, ChatRequest, CloudProviderId, PlannedTarget } from "@hearth/shared";
import { providers } from "../providers/registry.js";
import type { NativeCall } from "../providers/types.js";
import { oneBatch } from "../providers/whole.js";
import type { Opener } from "../execute/opener.js";

export interface CloudContext {
  env: Env;
  req: ChatRequest;
  requestId: string;
  /** The client speaks this provider's own API: a target of that provider gets the client's body and answers in its own events. */
  native?: NativeCall | undefined;
  /** Fetch answers whole rather than streamed (a client that does not stream; see pipeline/run.ts). */
  whole: boolean;
}

export function cloudOpener(target: PlannedTarget, ctx: CloudContext): Opener {
  const provider = providers[target.provider as CloudProviderId];
  return {
    target,
    async open({ signal, prefix }) {
      const cfg = provider.config(ctx.env);
      // The planner skips unconfigured providers; a key removed since is a skip, not a crash.
      if (!cfg) throw new NotConfigured();
      const call = { signal, requestId: ctx.requestId };
      // A continuation is Hearth's own request (the answer so far as a prefix), never the client's body.
      const native = ctx.native?.provider === target.provider && prefix === undefined ? ctx.native : undefined;
      if (ctx.whole && prefix === undefined) return oneBatch(await (native ? native.complete(cfg, target.model, call) : provider.complete(ctx.req, target.model, cfg, call)));
      if (native) return native.open(cfg, target.model, call);
      const req = prefix === undefined ? ctx.req : provider.continuation(ctx.req, prefix);
      return provider.stream(req, target.model, cfg, call);
    },
    classify: (err): AttemptFailure => (err instanceof NotConfigured ? { kind: "unavailable", reason: "not_configured" } : provider.classifyError(err)),
  };
}

class NotConfigured extends Error {
  constructor() {
    super("no API key is configured for this provider");
    this.name = "NotConfigured";
  }
}
