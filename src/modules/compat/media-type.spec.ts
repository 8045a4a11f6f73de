import { mediaTypeFor } from './media-type';

describe('mediaTypeFor', () => {
  it('prefers the file name, then the URL path, else document', () => {
    expect(mediaTypeFor('photo.JPG', 'https://x.test/download?id=1')).toBe('image');
    expect(mediaTypeFor(undefined, 'https://x.test/clip.mp4?sig=abc')).toBe('video');
    expect(mediaTypeFor('song.mp3', 'https://x.test/a.pdf')).toBe('audio');
    expect(mediaTypeFor('report.pdf', 'https://x.test/report')).toBe('document');
    expect(mediaTypeFor(undefined, 'not a url')).toBe('document');
  });
});
