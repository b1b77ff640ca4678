/** The opener for each planned target of one request. */
import type { PlannedTarget } from "@hearth/shared";
import { cloudOpener, type CloudContext } from "./cloud.js";
import { homeOpener, type HomeContext } from "./home.js";
import type { OpenerFor } from "./types.js";

export function openersFor(cloud: CloudContext, home: HomeContext): OpenerFor {
  return (target: PlannedTarget) => (target.provider === "local" ? homeOpener(target, home) : cloudOpener(target, cloud));
}
