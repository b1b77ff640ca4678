/** The opener for each planned target of one request. */
import type { PlannedTarget } from "@hearth/shared";
import { cloudOpener, type CloudContext } from "./cloud.js";
import { homeOpener, type HomeContext } from "./home.js";
import type { Opener, OpenerFor } from "../execute/opener.js";

/** The request asks for what only one provider can do (e.g. Anthropic's documents): every other target refuses it before any call. */
export class OnlyOn extends Error {
  constructor(provider: string, what: string) {
    super(`only ${provider} can take this request (${what})`);
    this.name = "OnlyOn";
  }
}

function refusing(target: PlannedTarget, err: OnlyOn): Opener {
  return {
    target,
    open: () => Promise.reject(err),
    classify: () => ({ kind: "unsupported", contacted: false, message: err.message }),
  };
}

/** `only`: the request needs this provider and says why; other targets refuse it up front. */
export function openersFor(cloud: CloudContext, home: HomeContext, only?: { provider: string; what: string }): OpenerFor {
  return (target: PlannedTarget) => {
    if (only && target.provider !== only.provider) return refusing(target, new OnlyOn(only.provider, only.what));
    return target.provider === "local" ? homeOpener(target, home) : cloudOpener(target, cloud);
  };
}
