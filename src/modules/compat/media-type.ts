const BY_EXTENSION: Record<string, 'image' | 'video' | 'audio'> = {
  jpg: 'image',
  jpeg: 'image',
  png: 'image',
  gif: 'image',
  webp: 'image',
  mp4: 'video',
  mov: 'video',
  webm: 'video',
  mp3: 'audio',
  m4a: 'audio',
  ogg: 'audio',
  wav: 'audio',
};

/**
 * The normalized media type for the seeds' `send-media` (which has no type field): from the
 * file name's extension, else the URL path's; anything unknown goes as a `document`.
 */
export function mediaTypeFor(
  filename: string | undefined,
  url: string,
): 'image' | 'video' | 'audio' | 'document' {
  for (const name of [filename, safePath(url)]) {
    const ext = /\.([a-z0-9]{2,5})$/i.exec(name ?? '')?.[1]?.toLowerCase();
    if (ext && BY_EXTENSION[ext]) return BY_EXTENSION[ext];
  }
  return 'document';
}

function safePath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '';
  }
}
