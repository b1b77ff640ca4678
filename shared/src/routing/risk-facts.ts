/**
 * The home-risk facts the hybrid rules read, from the Worker's estimate (features.homeRiskLogit, the
 * model's own logit) and what only the planner knows: which home model would answer (its size moves
 * the logit, see risk/size.ts), what this deployment has learned about that model (risk/learn.ts),
 * and the policy's cloud share (which requests are the riskiest N%, risk/calibration.ts).
 */
import type { AgentShape } from "../classify/agent-shape.js";
import { cloudShareThreshold } from "../risk/calibration.js";
import type { RiskOffset } from "../risk/learn.js";
import { parseModelSize, sizeShift } from "../risk/size.js";
import type { LocalModel } from "../tunnel/protocol.js";
import type { SidecarView } from "./local.js";

/** Bytes per parameter of a Q4_K_M GGUF (~4.8 bits): a size estimate when the name gives none. */
const BYTES_PER_PARAM_Q4 = 0.6;

export interface PlanRisk {
  /** 0–1, after the shifts. */
  risk: number;
  baseLogit: number;
  sizeShift: number;
  userShift: number;
  /** The home model the estimate is for (the largest chat model at home, loaded ones first). */
  homeModel?: string;
  homeSizeB?: number;
  sizeFrom?: "name" | "file size";
  /** The policy's cloud share (%), and whether this request is among the riskiest that share. */
  cloudShare?: number;
  riskiest: boolean;
  offsetSamples: number;
  /** Of them, failed answers (decayed). */
  offsetFailed: number;
}

interface HomeModel {
  id: string;
  sizeB?: number;
  from?: "name" | "file size";
}

/** A home model's size in billions of parameters: from its id, else its file size; undefined when neither says. */
export function localModelSize(m: Pick<LocalModel, "id" | "sizeBytes">): Omit<HomeModel, "id"> {
  const named = parseModelSize(m.id);
  if (named !== undefined) return { sizeB: named, from: "name" };
  if (m.sizeBytes) return { sizeB: Math.round(m.sizeBytes / BYTES_PER_PARAM_Q4 / 1e8) / 10, from: "file size" };
  return {};
}

/** The home model the estimate is for: the largest chat model at home (`only`: among those it admits), loaded ones first. */
export function homeModelFor(sidecars: readonly SidecarView[], only: (m: LocalModel) => boolean = () => true): HomeModel | undefined {
  const models = sidecars.flatMap((s) => s.state.models).filter((m) => m.chat !== false && only(m));
  const sized = models.map((m) => ({ id: m.id, loaded: m.loaded, ...localModelSize(m) }));
  sized.sort((a, b) => Number(b.loaded) - Number(a.loaded) || (b.sizeB ?? 0) - (a.sizeB ?? 0));
  const top = sized[0];
  return top ? { id: top.id, ...(top.sizeB !== undefined ? { sizeB: top.sizeB, from: top.from } : {}) } : undefined;
}

/**
 * What the estimate predicts for a home model before any learned offset: the model's logit with the
 * model's size shift. What a home outcome is measured against (risk/learn.ts addOutcome).
 */
export function predictedRisk(baseLogit: number, sizeB: number | undefined): number {
  return 1 / (1 + Math.exp(-(baseLogit + sizeShift(sizeB))));
}

export function planRisk(
  baseLogit: number | undefined,
  sidecars: readonly SidecarView[],
  offsets: Readonly<Record<string, RiskOffset>> | undefined,
  cloudShare: number | undefined,
): PlanRisk | undefined {
  if (baseLogit === undefined) return undefined;
  const home = homeModelFor(sidecars);
  const size = sizeShift(home?.sizeB);
  const offset = home ? offsets?.[home.id] : undefined;
  const user = offset?.logit ?? 0;
  const riskiest = cloudShare !== undefined && baseLogit >= cloudShareThreshold(cloudShare);
  return {
    risk: 1 / (1 + Math.exp(-(baseLogit + size + user))),
    baseLogit,
    sizeShift: size,
    userShift: user,
    ...(home ? { homeModel: home.id } : {}),
    ...(home?.sizeB !== undefined ? { homeSizeB: home.sizeB, sizeFrom: home.from } : {}),
    ...(cloudShare !== undefined ? { cloudShare } : {}),
    riskiest,
    offsetSamples: offset?.samples ?? 0,
    offsetFailed: offset?.failed ?? 0,
  };
}

export type { AgentShape };
