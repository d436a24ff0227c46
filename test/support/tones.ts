import { readFile } from 'node:fs/promises';

/**
 * The share of a 16-bit mono PCM wav's energy at a frequency: tells which party's tone is in a recording
 * (about 1 for a lone tone, 0.5 each for two). Goertzel per quarter second, summed: one filter over the
 * whole file integrates coherently, so a tone whose phase jumps (a snoop mixes two directions and drops or
 * repeats frames to keep them in step) cancels itself out — the agent's 1000 Hz measured 0.004 over a
 * whole snooped file and 0.5 in every single second of it.
 */
export async function toneShare(file: string, frequency: number): Promise<number> {
  const wav = await readFile(file);
  const dataAt = wav.indexOf('data') + 8;
  const rate = wav.readUInt32LE(24);
  const samples = new Int16Array(
    wav.buffer.slice(wav.byteOffset + dataAt, wav.byteOffset + wav.length - ((wav.length - dataAt) % 2)),
  );
  const coeff = 2 * Math.cos((2 * Math.PI * frequency) / rate);
  const block = rate / 4;
  let atFrequency = 0;
  let energy = 0;
  for (let start = 0; start < samples.length; start += block) {
    const end = Math.min(start + block, samples.length);
    let s1 = 0;
    let s2 = 0;
    for (let i = start; i < end; i++) {
      const s0 = samples[i]! + coeff * s1 - s2;
      s2 = s1;
      s1 = s0;
      energy += samples[i]! * samples[i]!;
    }
    atFrequency += (2 * (s1 * s1 + s2 * s2 - coeff * s1 * s2)) / (end - start);
  }
  return energy ? atFrequency / energy : 0;
}
