/** Every fault kind, in the order the suite runs them. */
import type { Kind } from "../kind.js";
import { cloud429, cloud500, cloudCut, cloudHang } from "./cloud.js";
import { concurrentStreams, killedMidStream, machineSleeps, reconnectStorm, workerRestart } from "./disrupt.js";
import { cutMidStream, hangBeforeFirstToken, modelLoading, offline, queueFull, slowLongAnswers, stallAfterFirstToken } from "./home.js";

export const KINDS: readonly Kind[] = [
  offline,
  killedMidStream,
  hangBeforeFirstToken,
  stallAfterFirstToken,
  slowLongAnswers,
  cutMidStream,
  queueFull,
  modelLoading,
  cloud429,
  cloud500,
  cloudHang,
  cloudCut,
  reconnectStorm,
  workerRestart,
  concurrentStreams,
  machineSleeps,
];
