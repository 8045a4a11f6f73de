import { pacingSlots } from './pacing';

describe('pacingSlots (async-send buckets from the adapter rules)', () => {
  it('keys instance and chat buckets and widens each gap by 5 %, rounded up to whole ms', () => {
    expect(
      pacingSlots(
        [
          { scope: 'instance', gapMs: 1000 / 30 },
          { scope: 'chat', gapMs: 1000 },
          { scope: 'instance', bucket: 'audio-video', gapMs: 100 },
        ],
        'i1',
        'c1',
      ),
    ).toEqual([
      { key: 'instance:i1', gapMs: 35 },
      { key: 'chat:c1', gapMs: 1050 },
      { key: 'instance:i1:audio-video', gapMs: 105 },
    ]);
  });

  it('no rules: not paced', () => {
    expect(pacingSlots([], 'i1', 'c1')).toEqual([]);
  });
});
