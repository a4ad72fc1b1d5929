// uPlot charts, drawn from the series the worker computed: seats held and
// accounts turned away over time, and the sizing curve. A chart follows its
// container's width (ResizeObserver), so it also draws correctly when its
// tab is first shown, and reads in UTC like every time on this page.
import uPlot from "uplot";
import type { Series, SizingPoint } from "./shared.js";

const COLORS = {
  seats: "#1f5fbf",
  capped: "#b42318",
  waitlisted: "#9a6700",
  limit: "#5b6675",
  holders: "#1d7a46",
};

export interface Chart {
  destroy(): void;
}

function mount(
  container: HTMLElement,
  options: Omit<uPlot.Options, "width" | "height">,
  data: uPlot.AlignedData,
  height = 260,
): Chart {
  const width = () => Math.max(280, Math.floor(container.clientWidth || 600));
  const plot = new uPlot({ ...options, width: width(), height }, data, container);
  const observer = new ResizeObserver(() => {
    if (container.clientWidth > 0) plot.setSize({ width: width(), height });
  });
  observer.observe(container);
  return {
    destroy: () => {
      observer.disconnect();
      plot.destroy();
    },
  };
}

const utc = (ts: number) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC");

/** Seats held, accounts capped and waitlisted over the run, with the seat limit as a dashed line. */
export function timelineChart(container: HTMLElement, s: Series, limit: number | null): Chart {
  const series: uPlot.Series[] = [
    {},
    {
      label: "Seats held",
      stroke: COLORS.seats,
      width: 2,
      paths: uPlot.paths.stepped!({ align: 1 }),
    },
    {
      label: "Accounts capped",
      stroke: COLORS.capped,
      width: 2,
      paths: uPlot.paths.stepped!({ align: 1 }),
    },
  ];
  const data: number[][] = [s.t, s.seats, s.capped];
  if (s.waitlisted.some((v) => v > 0)) {
    series.push({
      label: "Accounts waitlisted",
      stroke: COLORS.waitlisted,
      width: 2,
      paths: uPlot.paths.stepped!({ align: 1 }),
    });
    data.push(s.waitlisted);
  }
  if (limit !== null) {
    series.push({ label: "Seat limit", stroke: COLORS.limit, width: 1, dash: [6, 4] });
    data.push(s.t.map(() => limit));
  }
  return mount(
    container,
    { tzDate: utc, series, axes: [{}, { label: "accounts" }], scales: { x: { time: true } } },
    data as uPlot.AlignedData,
  );
}

/** Accounts capped (and waitlisted) for each number of seats bought. */
export function sizingChart(container: HTMLElement, points: SizingPoint[]): Chart {
  const x = points.map((p) => p.seats);
  const series: uPlot.Series[] = [
    { label: "Seats bought" },
    { label: "Accounts capped", stroke: COLORS.capped, width: 2, points: { show: true, size: 7 } },
    { label: "Seat holders", stroke: COLORS.holders, width: 2, points: { show: true, size: 5 } },
  ];
  const data: number[][] = [x, points.map((p) => p.capped), points.map((p) => p.holders)];
  if (points.some((p) => p.waitlisted > 0)) {
    series.push({
      label: "Accounts waitlisted",
      stroke: COLORS.waitlisted,
      width: 2,
      points: { show: true, size: 5 },
    });
    data.push(points.map((p) => p.waitlisted));
  }
  return mount(
    container,
    {
      series,
      scales: { x: { time: false } },
      axes: [{ label: "seats bought" }, { label: "accounts" }],
    },
    data as uPlot.AlignedData,
  );
}
