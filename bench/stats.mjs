// The bench's statistics: medians, quartiles and a distribution-free confidence interval of the
// median, so every figure can be reported as median and spread.

export function median(values) {
  return quantile(values, 0.5);
}

/** Linear-interpolated quantile (q in 0..1) of the values. */
export function quantile(values, q) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low] + (sorted[high] - sorted[low]) * (at - low);
}

/**
 * ~95 % confidence interval of the median from order statistics (normal approximation of the
 * binomial: ranks n/2 ± 0.98 √n); no assumption about the distribution. Needs n ≥ 6 to be
 * narrower than min–max.
 */
export function medianInterval(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return [Number.NaN, Number.NaN];
  const half = 0.98 * Math.sqrt(n);
  const low = Math.max(0, Math.floor(n / 2 - half));
  const high = Math.min(n - 1, Math.ceil(n / 2 + half) - 1);
  return [sorted[low], sorted[high]];
}

/** Median, quartiles, min, max, the median's ~95 % interval and the count. */
export function summary(values) {
  const [ciLow, ciHigh] = medianInterval(values);
  return {
    median: median(values),
    q1: quantile(values, 0.25),
    q3: quantile(values, 0.75),
    min: Math.min(...values),
    max: Math.max(...values),
    ciLow,
    ciHigh,
    n: values.length,
  };
}
