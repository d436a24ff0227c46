import { answerTimesFromTrace } from '../../bench/sipp-trace';

const block = (
  time: string,
  direction: 'sent' | 'received',
  firstLine: string,
  callId: string,
  cseq: string,
) =>
  `----------------------------------------------- 2026-11-25 ${time}\nUDP message ${direction} (1 bytes):\n\n${firstLine}\nVia: x\nCall-ID: ${callId}\nCSeq: ${cseq}\n\n`;

test('INVITE → 200 OK per call, in microsecond resolution, ignoring provisional answers and other 200s', () => {
  const trace = [
    block('13:40:11.178761', 'sent', 'INVITE sip:1@h SIP/2.0', 'a', '1 INVITE'),
    block('13:40:11.178900', 'sent', 'INVITE sip:1@h SIP/2.0', 'b', '1 INVITE'),
    block('13:40:11.179097', 'received', 'SIP/2.0 100 Trying', 'a', '1 INVITE'),
    block('13:40:11.179561', 'received', 'SIP/2.0 200 OK', 'a', '1 INVITE'),
    block('13:40:11.212900', 'received', 'SIP/2.0 200 OK', 'b', '1 INVITE'),
    block('13:40:12.000000', 'received', 'SIP/2.0 200 OK', 'a', '2 BYE'),
  ].join('');
  const times = answerTimesFromTrace(trace);
  expect(times).toHaveLength(2);
  expect(times[0]).toBeCloseTo(0.8, 3);
  expect(times[1]).toBeCloseTo(34.0, 3);
});
