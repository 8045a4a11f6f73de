import { MicroBatcher } from './micro-batcher';

describe('MicroBatcher', () => {
  it('runs concurrent calls as one batch and hands each caller its own result', async () => {
    const batches: number[][] = [];
    const b = new MicroBatcher<number, number>(
      async (xs) => {
        batches.push(xs);
        return xs.map((x) => x * 10);
      },
      100,
      5,
    );
    const results = await Promise.all([1, 2, 3].map((x) => b.add(x)));
    expect(results).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('flushes at maxSize without waiting', async () => {
    const batches: number[][] = [];
    const b = new MicroBatcher<number, number>(async (xs) => (batches.push(xs), xs), 2, 10_000);
    await Promise.all([b.add(1), b.add(2)]);
    expect(batches).toEqual([[1, 2]]);
  });

  it('rejects every caller of a failed batch', async () => {
    const b = new MicroBatcher<number, number>(async () => {
      throw new Error('db down');
    });
    await expect(Promise.all([b.add(1), b.add(2)])).rejects.toThrow('db down');
  });
});
