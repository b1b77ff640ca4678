/**
 * The hub has one alarm and several stores that want it (the Responses store's expiry, the series'
 * roll-up). They share it by one convention: each asks for the time it next needs, and the alarm is
 * moved only earlier (`alarmNoLaterThan`); when it fires, the hub runs every store's work and each
 * asks again for its own next time. So no store can push another's alarm later.
 */
export async function alarmNoLaterThan(storage: DurableObjectStorage, at: number): Promise<void> {
  const current = await storage.getAlarm();
  if (current === null || current > at) await storage.setAlarm(at);
}
