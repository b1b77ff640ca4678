/**
 * The /v1/live WebSocket with reconnects (1 s doubling to 30 s): the Live view shows what it pushes,
 * the Home view reloads when a sidecar connects, reports, drains or goes. The session cookie
 * authenticates it (the Worker checks the Origin of a cookie-authenticated upgrade).
 */

export interface LiveMessage {
  type?: string;
  [field: string]: unknown;
}

export interface LiveHandlers {
  message(m: LiveMessage): void;
  /** Connected (again). */
  open?(): void;
  /** Closed; `everOpened` says whether this deployment accepted the socket at all. */
  closed?(everOpened: boolean): void;
}

/** Opens the socket and keeps it open until the returned function is called. */
export function openLive(handlers: LiveHandlers): () => void {
  let ws: WebSocket | undefined;
  let stopped = false;
  let opened = false;
  let delay = 1_000;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function connect(): void {
    ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/v1/live`);
    ws.addEventListener("open", () => {
      opened = true;
      delay = 1_000;
      handlers.open?.();
    });
    ws.addEventListener("message", (ev) => {
      let m: LiveMessage;
      try {
        m = JSON.parse(String(ev.data)) as LiveMessage;
      } catch {
        return;
      }
      handlers.message(m);
    });
    ws.addEventListener("close", () => {
      if (stopped) return;
      handlers.closed?.(opened);
      timer = setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30_000);
    });
  }
  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    ws?.close(1000, "view closed");
  };
}
