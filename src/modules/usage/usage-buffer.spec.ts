import { UsageBuffer } from './usage-buffer';
import { currentUtcDay, emptyUsage, utcDay } from './usage-counts';

describe('UsageBuffer', () => {
  const day1 = new Date('2026-01-01T23:59:59Z');
  const day2 = new Date('2026-01-02T00:00:00Z');

  it('sums counts per instance and UTC day', () => {
    const b = new UsageBuffer();
    b.add('a', { messagesSent: 1 }, day1);
    b.add('a', { messagesSent: 2, totalMediaSize: 100 }, day1);
    b.add('a', { messagesSent: 5 }, day2);
    b.add('b', { apiCalls: 1 }, day1);
    expect(b.peek('a', '2026-01-01')).toEqual({ ...emptyUsage(), messagesSent: 3, totalMediaSize: 100 });
    expect(b.peek('a', '2026-01-02').messagesSent).toBe(5);
    expect(b.size).toBe(3);
  });

  it('drain empties the buffer; restore merges a failed flush back without losing new counts', () => {
    const b = new UsageBuffer();
    b.add('a', { messagesReceived: 2 }, day1);
    const drained = b.drain();
    expect(drained).toEqual([
      { instanceId: 'a', date: '2026-01-01', counts: { ...emptyUsage(), messagesReceived: 2 } },
    ]);
    expect(b.size).toBe(0);
    b.add('a', { messagesReceived: 1 }, day1);
    b.restore(drained);
    expect(b.peek('a', '2026-01-01').messagesReceived).toBe(3);
  });

  it('utcDay is the UTC date; the cached current day rolls over at UTC midnight', () => {
    expect(utcDay(new Date('2026-03-04T23:30:00-05:00'))).toBe('2026-03-05');
    expect(currentUtcDay(Date.parse('2026-03-04T23:59:59.999Z'))).toBe('2026-03-04');
    expect(currentUtcDay(Date.parse('2026-03-05T00:00:00.000Z'))).toBe('2026-03-05');
    expect(currentUtcDay(Date.parse('2026-03-01T12:00:00.000Z'))).toBe('2026-03-01');
    expect(currentUtcDay()).toBe(utcDay());
  });
});
