import type { MediaItem } from '../../domain/flow/ports';

/**
 * Asterisk media URIs for the items that need no preparation; TTS and recordings are made into files by
 * activities first. A date is read from Asterisk's own sounds: weekday, month, ordinal day, year.
 */
export function asteriskMedia(item: Exclude<MediaItem, { kind: 'tts' | 'recording' }>): string[] {
  switch (item.kind) {
    case 'sound':
      return [`sound:${item.name}`];
    case 'digits':
      return [`digits:${item.value}`];
    case 'number':
      return [`number:${item.value}`];
    case 'date': {
      const [year, month, day] = item.value.split('-').map(Number) as [number, number, number];
      const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
      return [
        `sound:digits/day-${weekday}`,
        `sound:digits/mon-${month - 1}`,
        `sound:digits/h-${day}`,
        `number:${year}`,
      ];
    }
  }
}
