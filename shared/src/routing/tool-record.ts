/**
 * Home's tool-call record: per home model, how many of its tool-call answers were checked and how
 * many passed (the name is an offered tool, the arguments parse and fit the schema). The checks of
 * home's answers keep it (issue 18, "home answers that are checked") and hand it to the planner as
 * PlanInput.toolRecord; until they do it is empty, and every rule on it (`homeToolPassBelow`) stays
 * unmatched — unknown is not poor.
 */
import type { SidecarView } from "./local.js";
import { homeModelFor } from "./risk-facts.js";

export interface ToolRecord {
  /** Tool-call answers checked (a recent window, or decayed counts). */
  checked: number;
  /** Of them, the ones that passed. */
  passed: number;
}

/** Fewer checked answers than this say nothing yet: a model is not judged on a handful. */
export const TOOL_RECORD_MIN_CHECKED = 10;

/**
 * The record of the model that would take a tool request (the largest tool-capable chat model at
 * home, loaded first), or undefined when there is none or too few of its answers were checked.
 */
export function homeToolsFact(sidecars: readonly SidecarView[], record: Readonly<Record<string, ToolRecord>> | undefined): { model: string; passRate: number; checked: number } | undefined {
  if (!record) return undefined;
  const home = homeModelFor(sidecars, (m) => m.tools);
  const r = home ? record[home.id] : undefined;
  if (!home || !r || r.checked < TOOL_RECORD_MIN_CHECKED) return undefined;
  return { model: home.id, passRate: r.passed / r.checked, checked: r.checked };
}
