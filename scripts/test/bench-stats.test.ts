import { describe, expect, it } from 'vitest';
import { responseLength } from '../../bench/hot/client.mjs';
import { median, medianInterval, quantile, summary } from '../../bench/stats.mjs';

// The bench's statistics and its hot-path client's response framing.
describe('bench/stats.mjs', () => {
  it('takes medians and interpolated quartiles', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.25)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.75)).toBe(3.25);
    expect(median([])).toBeNaN();
  });

  it('gives an order-statistic interval of the median that narrows with more samples', () => {
    const values = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    expect(medianInterval(values(20))).toEqual([6, 15]);
    const [low, high] = medianInterval(values(100));
    expect([low, high]).toEqual([41, 60]);
    expect(medianInterval([7])).toEqual([7, 7]);
  });

  it('summarises: median, quartiles, min, max, interval, count', () => {
    expect(summary([5, 1, 4, 2, 3])).toEqual({
      median: 3,
      q1: 2,
      q3: 4,
      min: 1,
      max: 5,
      ciLow: 1,
      ciHigh: 5,
      n: 5,
    });
  });
});

describe('bench/hot/client.mjs responseLength', () => {
  const ok =
    'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{"hello":"world"}';

  it('finds where a complete response ends, and waits for an incomplete one', () => {
    expect(responseLength(Buffer.from(ok))).toBe(ok.length);
    expect(responseLength(Buffer.from(ok + ok))).toBe(ok.length);
    expect(responseLength(Buffer.from(ok.slice(0, -1)))).toBe(-1);
    expect(responseLength(Buffer.from(ok.slice(0, 20)))).toBe(-1);
  });

  it('refuses what it cannot count: another status, no Content-Length', () => {
    expect(() =>
      responseLength(Buffer.from('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n')),
    ).toThrow('unexpected response HTTP/1.1 503');
    expect(() =>
      responseLength(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n')),
    ).toThrow('without Content-Length');
  });
});
