/**
 * A line chart of samples over time (uPlot). The series are sampled by the view (each refresh adds a point), so a
 * chart shows what happened while the page was open; the data table below it says the same for screen readers.
 */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface Samples {
  /** Seconds since the epoch. */
  readonly times: number[];
  readonly series: { readonly label: string; readonly color: string; readonly values: number[] }[];
}

export function emptySamples(labels: readonly (readonly [string, string])[]): Samples {
  return { times: [], series: labels.map(([label, color]) => ({ label, color, values: [] })) };
}

/** Appends one point per series (keeping the last `limit`); returns a new object so the chart re-renders. */
export function addSample(samples: Samples, values: readonly number[], limit = 600): Samples {
  const now = Date.now() / 1000;
  const keep = (list: number[], value: number) => [...list, value].slice(-limit);
  return { times: keep(samples.times, now), series: samples.series.map((series, index) => ({ ...series, values: keep(series.values, values[index] ?? 0) })) };
}

export function TimeChart({ title, samples, height = 180 }: { title: string; samples: Samples; height?: number }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const seriesKey = samples.series.map((series) => series.label).join("|");
  useEffect(() => {
    const element = host.current;
    if (element === null) return;
    plot.current = new uPlot(
      {
        width: Math.max(300, element.clientWidth),
        height,
        series: [{}, ...samples.series.map((series) => ({ label: series.label, stroke: series.color, width: 2 }))],
        axes: [{ values: (_u, splits) => splits.map((split) => new Date(split * 1000).toLocaleTimeString()) }, { size: 50 }],
        // At least a minute wide, so the first samples do not stretch over the whole chart.
        scales: { x: { time: true, range: (_u, min, max) => [Math.min(min, max - 60), max] }, y: { range: (_u, min, max) => [0, Math.max(1, max, min)] } },
      },
      [samples.times, ...samples.series.map((series) => series.values)],
      element,
    );
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(300, element.clientWidth), height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = undefined;
    };
  }, [seriesKey, height]);
  useEffect(() => {
    plot.current?.setData([samples.times, ...samples.series.map((series) => series.values)]);
  }, [samples]);
  const latest = samples.series.map((series) => `${series.label}: ${series.values.at(-1) ?? 0}`).join(", ");
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={host} role="img" aria-label={`${title}. Latest: ${latest}`} />
    </figure>
  );
}
