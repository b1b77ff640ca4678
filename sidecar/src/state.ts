/**
 * The sidecar's state as the Worker sees it (hello and heartbeats): models from every backend, slots,
 * queue, what is loading, free memory. Assembled here, nowhere else.
 */
import type { LocalModel, SidecarState } from "@hearth/shared";
import { freemem } from "node:os";
import type { Backend } from "./backends/types.js";

export interface StateInputs {
  backends: readonly Backend[];
  slots: number;
  active: number;
  queueMax: number;
  queueDepth: number;
  draining: boolean;
  /** This report's number. */
  n: number;
}

/** Models of all backends; when two offer the same id, the first backend listed wins. */
export async function collectModels(backends: readonly Backend[]): Promise<{ models: LocalModel[]; owner: Map<string, Backend> }> {
  const lists = await Promise.all(backends.map((b) => b.models().catch(() => [] as LocalModel[])));
  const owner = new Map<string, Backend>();
  const models: LocalModel[] = [];
  lists.forEach((list, i) => {
    const backend = backends[i];
    if (!backend) return;
    for (const m of list) {
      if (owner.has(m.id)) continue;
      owner.set(m.id, backend);
      models.push(m);
    }
  });
  return { models, owner };
}

export function buildState(models: LocalModel[], s: StateInputs): SidecarState {
  return {
    models,
    slots: { total: s.slots, free: Math.max(0, s.slots - s.active) },
    queue: { depth: s.queueDepth, max: s.queueMax },
    loading: s.backends.flatMap((b) => b.loading()),
    freeMemoryBytes: freemem(),
    draining: s.draining,
    n: s.n,
  };
}
