/**
 * INVITE sent → 200 OK (to that INVITE) received, per Call-ID, from SIPp's message trace: its rtt trace
 * rounds to whole milliseconds, too coarse for answerers that take well under one.
 */
export function answerTimesFromTrace(trace: string): number[] {
  const invites = new Map<string, number>();
  const answers = new Map<string, number>();
  for (const block of trace.split(/^-{20,} /m).slice(1)) {
    const stamp = /^(\d{4}-\d{2}-\d{2})\s+(\d{2}:\d{2}:\d{2}\.\d+)/.exec(block);
    const callId = /^Call-ID:\s*(\S+)/im.exec(block)?.[1];
    if (!stamp || !callId) continue;
    const [h, m, sec] = stamp[2]!.split(':').map(Number) as [number, number, number];
    const when = Date.parse(`${stamp[1]}T00:00:00Z`) + ((h * 60 + m) * 60 + sec) * 1000;
    if (/message sent[\s\S]*?^INVITE /m.test(block) && !invites.has(callId)) invites.set(callId, when);
    if (
      /message received[\s\S]*?^SIP\/2\.0 200 [\s\S]*?^CSeq:\s*1 INVITE/m.test(block) &&
      !answers.has(callId)
    ) {
      answers.set(callId, when);
    }
  }
  return [...answers].map(([id, t]) => t - invites.get(id)!).filter((n) => Number.isFinite(n));
}
