import { readFile } from 'node:fs/promises';

/**
 * Relative strength of a frequency in a 16-bit mono PCM wav (Goertzel), as the share of the signal's
 * energy at that frequency: tells which party's tone is in a recording.
 */
export async function toneShare(file: string, frequency: number): Promise<number> {
  const wav = await readFile(file);
  const dataAt = wav.indexOf('data') + 8;
  const rate = wav.readUInt32LE(24);
  const samples = new Int16Array(
    wav.buffer.slice(wav.byteOffset + dataAt, wav.byteOffset + wav.length - ((wav.length - dataAt) % 2)),
  );
  const coeff = 2 * Math.cos((2 * Math.PI * frequency) / rate);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (const x of samples) {
    const s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
    energy += x * x;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return energy ? (2 * power) / (samples.length * energy) : 0;
}
