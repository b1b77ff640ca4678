import type { Session } from "../api.js";

/** A view draws into `root` and returns what stops it (timers, sockets, charts) when the user leaves. */
export type View = (root: HTMLElement, session: Session) => () => void;
