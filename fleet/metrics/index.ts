export { HISTOGRAM_RELATIVE_ERROR, Histogram, type HistogramJSON, percentileRank } from "./histogram.js";
export { type CheckCounts, FleetMetrics, type MetricsSnapshot } from "./metrics.js";
export { compareSteps, FAILED_PREFIX, RELYING_PARTY_METRICS, SERIES } from "./names.js";
export { simDay, TimeSeries, type TimeSeriesJSON, wallSecond } from "./series.js";
export { type Aggregation, evaluateThresholds, parseThreshold, type Threshold, type ThresholdOp, type ThresholdResult } from "./thresholds.js";
